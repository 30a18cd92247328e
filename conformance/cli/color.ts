/**
 * Whether a report may be coloured, by the conventions people set once in
 * their shell or CI: NO_COLOR (https://no-color.org) and FORCE_COLOR (as Node
 * itself reads it: 1, 2, 3, true or empty force colour, any other value such
 * as 0 or false forbids it, and when set it wins over NO_COLOR).
 */

/** FORCE_COLOR values that turn colour on; every other value turns it off (Node's own reading). */
const FORCE_ON = new Set(['', '1', '2', '3', 'true']);

export function colorWanted(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return FORCE_ON.has(force);
  // no-color.org: set and not empty. NODE_DISABLE_COLORS is Node's older switch for the same.
  if (env.NO_COLOR || env.NODE_DISABLE_COLORS) return false;
  return stream.isTTY === true && env.TERM !== 'dumb';
}
