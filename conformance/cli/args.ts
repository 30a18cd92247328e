/**
 * Command-line parsing on top of node:util parseArgs (strict): unknown flags,
 * missing values and stray arguments become one-line UsageErrors naming the flag.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './usage-error.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | undefined>;
  readonly positionals: string[];
}

export function parseFlags(argv: readonly string[], options: Options, maxPositionals = 0): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    }) as Parsed;
  } catch (e) {
    throw new UsageError(reword((e as Error).message));
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals[maxPositionals];
    throw new UsageError(`unexpected argument "${extra}"`);
  }
  return parsed;
}

/** Node's messages are long and mention "ParseArgs"; keep the flag and the problem. */
function reword(message: string): string {
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `${unknown[1]}: unknown flag`;
  const missing = /Option '([^']+?)(?: <value>)?' argument missing/.exec(message);
  if (missing) return `${missing[1]!.split(',').pop()!.trim()}: missing value`;
  const ambiguous = /Option '([^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const flag = ambiguous[1]!.split(',').pop()!.trim();
    return `${flag}: the value starts with "-"; negative numbers are not accepted (write -1 as 0xffffffff), use ${flag}=VALUE for anything else`;
  }
  const notBool = /Option '([^']+)' does not take an argument/.exec(message);
  if (notBool) return `${notBool[1]!.split(',').pop()!.trim()}: takes no value`;
  return message.split('\n')[0]!;
}

export function stringFlag(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function boolFlag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}

/** A flag that may be given several times (`multiple: true`), in order. */
export function stringsFlag(parsed: Parsed, name: string): string[] {
  const v = parsed.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}
