// One API request (RFC 8620 §3): the body checked as I-JSON and as a Request object, the capabilities in
// "using" checked, then each method call in order with its back-references resolved, its creation ids mapped,
// and its errors kept to that call. A failure inside a method is a serverFail for that call, never an HTTP 500.
import type { User } from '../accounts/directory.js';
import { Args, isId, isObject } from './args.js';
import { accountIdOf, capabilities, CORE } from './capabilities.js';
import { MethodError, problem, type Problem } from './errors.js';
import { METHODS } from './methods/index.js';
import { resolveReferences, type Invocation } from './result-reference.js';
import type { JmapService } from './service.js';

/** What a method call can see: the service, the caller's account, this request's creation ids. */
export class CallContext {
  readonly accountId: string;
  /** What is left of this request's answer budgets (JmapLimits.maxBodyValueBytesPerRequest, maxResponseBytes). */
  readonly budget: { bodyValueBytes: number; responseBytes: number };

  constructor(
    readonly svc: JmapService,
    readonly user: User,
    readonly createdIds: Map<string, string>,
    readonly using: Set<string>,
    readonly ip: string,
  ) {
    this.accountId = accountIdOf(user.address);
    this.budget = { bodyValueBytes: svc.limits.maxBodyValueBytesPerRequest, responseBytes: svc.limits.maxResponseBytes };
  }

  /**
   * Count one object of a (potentially large) answer against the request's response budget: the method call
   * that passes it fails with requestTooLarge (RFC 8620 §5.1) instead of holding an unbounded answer in memory.
   */
  chargeAnswer(o: unknown, what: string): void {
    this.budget.responseBytes -= Buffer.byteLength(JSON.stringify(o), 'utf8');
    if (this.budget.responseBytes < 0) {
      throw new MethodError('requestTooLarge', `the answer would pass ${this.svc.limits.maxResponseBytes} octets; ask for fewer ${what}, fewer properties, or a maxBodyValueBytes`);
    }
  }

  get address(): string {
    return this.user.address;
  }

  /** The accountId argument, which must name the caller's account. */
  account(args: Args): string {
    const id = args.accountId();
    if (id !== this.accountId) throw new MethodError('accountNotFound');
    return id;
  }

  /** An id that may be a creation reference ("#c1") made earlier in this request; null when that is unknown. */
  resolveId(id: string): string | null {
    if (!id.startsWith('#')) return id;
    return this.createdIds.get(id.slice(1)) ?? null;
  }

  log(event: string, fields: Record<string, unknown> = {}, level: 'info' | 'warn' | 'error' = 'info'): void {
    this.svc.log(event, { user: this.address, ...fields }, level);
  }
}

/** A method's answer: its arguments, or several responses (an implicit call such as EmailSubmission's Email/set). */
export type MethodResult = Record<string, unknown> | { responses: [string, Record<string, unknown>][] };

export interface MethodDef {
  capability: string;
  run(args: Args, ctx: CallContext): Promise<MethodResult>;
}

export type RequestOutcome = { ok: true; body: Record<string, unknown> } | { ok: false; problem: Problem };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse a request body: UTF-8 JSON whose top level is an object. */
export function parseBody(body: Buffer): { ok: true; value: unknown } | { ok: false; problem: Problem } {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, problem: problem('notJSON', 400, 'The request body is not UTF-8') };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, problem: problem('notJSON', 400, `The request body is not JSON: ${(e as Error).message}`) };
  }
}

function isInvocation(v: unknown): v is Invocation {
  return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && isObject(v[1]) && typeof v[2] === 'string';
}

export async function runRequest(
  body: unknown, svc: JmapService, user: User, opts: { submission: boolean; sessionState: string; ip: string },
): Promise<RequestOutcome> {
  if (!isObject(body)) return { ok: false, problem: problem('notRequest', 400, 'The request is not a JSON object') };
  const { using, methodCalls, createdIds } = body;
  if (!Array.isArray(using) || !using.every((u) => typeof u === 'string')) return { ok: false, problem: problem('notRequest', 400, '"using" must be an array of strings') };
  if (!Array.isArray(methodCalls) || !methodCalls.every(isInvocation)) {
    return { ok: false, problem: problem('notRequest', 400, '"methodCalls" must be an array of [name, arguments, call id]') };
  }
  if (createdIds !== undefined && !(isObject(createdIds) && Object.entries(createdIds).every(([k, v]) => isId(k) && isId(v)))) {
    return { ok: false, problem: problem('notRequest', 400, '"createdIds" must map creation ids to ids') };
  }
  const known = capabilities({ limits: svc.limits, submission: opts.submission });
  const unknown = (using as string[]).find((u) => !(u in known));
  if (unknown !== undefined) return { ok: false, problem: problem('unknownCapability', 400, `The capability ${JSON.stringify(unknown)} is not supported by this server`) };
  if (!using.includes(CORE)) return { ok: false, problem: problem('notRequest', 400, `"using" must include ${CORE}`) };
  if (methodCalls.length > svc.limits.maxCallsInRequest) {
    return { ok: false, problem: problem('limit', 400, `A request may hold at most ${svc.limits.maxCallsInRequest} method calls`, 'maxCallsInRequest') };
  }

  const created = new Map<string, string>(Object.entries((createdIds as Record<string, string> | undefined) ?? {}));
  const ctx = new CallContext(svc, user, created, new Set(using as string[]), opts.ip);
  const responses: Invocation[] = [];
  for (const [name, rawArgs, callId] of methodCalls as Invocation[]) {
    for (const r of await runCall(name, rawArgs, callId, responses, ctx)) responses.push(r);
  }
  const out: Record<string, unknown> = { methodResponses: responses, sessionState: opts.sessionState };
  if (createdIds !== undefined) out.createdIds = Object.fromEntries(created);
  return { ok: true, body: out };
}

async function runCall(name: string, rawArgs: Record<string, unknown>, callId: string, earlier: Invocation[], ctx: CallContext): Promise<Invocation[]> {
  const err = (e: MethodError): Invocation[] => [['error', e.toJSON(), callId]];
  const def = Object.prototype.hasOwnProperty.call(METHODS, name) ? METHODS[name] : undefined;
  if (!def || !ctx.using.has(def.capability)) return err(new MethodError('unknownMethod', `${name} is not a method of the capabilities in "using"`));
  const resolved = resolveReferences(rawArgs, earlier);
  if (!resolved.ok) return err(new MethodError(resolved.type, resolved.description));
  try {
    const result = await def.run(new Args(resolved.args), ctx);
    if ('responses' in result && Array.isArray(result.responses)) return (result.responses as [string, Record<string, unknown>][]).map(([n, a]) => [n, a, callId]);
    return [[name, result as Record<string, unknown>, callId]];
  } catch (e) {
    if (e instanceof MethodError) return err(e);
    ctx.log('method-error', { method: name, error: (e as Error).message }, 'error');
    return err(new MethodError('serverFail', 'The server failed to process this method call'));
  }
}
