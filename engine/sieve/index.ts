// The Sieve engine's front door: parse and validate a script (errors with line and column), evaluate it on a
// message for one recipient (actions, never a throw), and the helpers a caller needs around them. Delivery,
// ManageSieve, the CLI and the web pages use only what is exported here.
export { parseScript } from './compile.js';
export { evaluate } from './interpreter.js';
export { sieveMessage, decodedValue } from './message.js';
export { applyHeaderEdits } from './header-edits.js';
export { evaluateScopes, joinResults } from './scopes.js';
export { decideVacation, MemoryVacationHistory, type VacationHistory, type VacationContext, type VacationDecision, type VacationReply, type VacationSkip } from './vacation.js';
export { compileRules, readRuleScript, RuleSetSchema, type RuleSet, type RuleSetInput, type Rule, type Condition, type RuleAction } from './rule-form.js';
export { CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_LIMITS, limitsWith, sieveCapabilityString, type Capability, type SieveLimits } from './extensions.js';
export type { Script } from './ir.js';
export type * from './types.js';
export { SIEVE_ERROR_TEXT, sieveErrorText, type SieveErrorCode, type SieveErrorValues } from './errors.js';

import { parseScript } from './compile.js';
import { evaluate } from './interpreter.js';
import type { SieveEnv, SieveMessage, SieveResult } from './types.js';

/** Parse and run in one step; a script that does not compile gives its errors and implicit keep. */
export function runScriptText(text: string, msg: SieveMessage, env: SieveEnv = {}): SieveResult {
  const p = parseScript(text, env);
  if (!p.ok) return { actions: [], implicitKeep: { flags: [] }, headerEdits: [], errors: p.errors, warnings: [], stopped: false };
  return evaluate(p.script, msg, env);
}
