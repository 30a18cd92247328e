/**
 * What the page shows for one call, computed by the same functions as
 * `aiospec explain`: its JSON (the numbers) and its text (the verdict line,
 * taken from the text itself, so the two cannot drift apart).
 */

import type { FlagValues } from '../../conformance/cli/env-values.js';
import { explainInput, explainOutcome } from '../../conformance/cli/explain-input.js';
import { type ExplainJson, explainJson, explainText } from '../../conformance/render/explain.js';
import type { Environment, SetupOutcome } from '../../model/index.js';

export interface Explained {
  readonly env: Environment;
  readonly outcome: SetupOutcome;
  readonly json: ExplainJson;
  /** explain's whole text, and its first line: the call as C, and its result. */
  readonly text: string;
  readonly verdict: string;
}

export type ExplainResult =
  | { readonly ok: true; readonly value: Explained }
  /** `flag`: the flag the message names (`--aio-nr: …`), to mark its field. */
  | { readonly ok: false; readonly message: string; readonly flag: string | null };

export function explainValues(values: FlagValues): ExplainResult {
  try {
    const input = explainInput(values);
    const outcome = explainOutcome(input);
    const text = explainText(input.env, outcome);
    return {
      ok: true,
      value: {
        env: input.env,
        outcome,
        json: explainJson(input.env, outcome),
        text,
        verdict: text.slice(0, text.indexOf('\n')),
      },
    };
  } catch (e) {
    const message = (e as Error).message;
    const flag = /^--([a-z-]+):/.exec(message)?.[1] ?? null;
    return { ok: false, message, flag };
  }
}
