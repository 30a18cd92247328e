/** A bad command line: reported as one line on stderr, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The run could not happen here (no kernel support, missing tool): exit status 2 as well. */
export class EnvironmentError extends Error {
  override name = 'EnvironmentError';
}
