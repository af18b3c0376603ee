// Schemas of what crosses between the main thread and the worker pool: the "process" and "deliver-remote"
// tasks (checked by the worker before it acts) and their results (checked by the queue before it writes
// state or logs from them). A message that does not match is a bug or damage: it is refused with the reason,
// never half-used. Loose objects, so a field added on one side is kept rather than silently stripped. Fields
// that only feed the log fall back to nothing when malformed (.catch): a delivery the remote side accepted
// must never be retried, and so sent twice, because of a bad log detail.
import { z } from 'zod';
import { envelopeSchema, maybe, QUEUE_ID, schemaReason } from '../spool/envelope.js';
import type { ProcessResult, ProcessTask } from '../../workers/process.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';

const reply = z.object({ code: z.number().int(), status: z.string(), text: z.string() });
const addressReason = z.looseObject({ address: z.string(), reason: z.string() });
const byteOffset = z.number().int().nonnegative();

export const processTaskSchema: z.ZodType<ProcessTask> = z.looseObject({
  id: z.string().regex(QUEUE_ID),
  shared: maybe(z.instanceof(SharedArrayBuffer)),
  fd: maybe(z.number().int().nonnegative()),
  file: z.string(),
  bodyOffset: byteOffset,
  envelope: envelopeSchema,
  recovered: z.boolean(),
  decision: maybe(z.instanceof(SharedArrayBuffer)),
  skipAnalysis: maybe(z.boolean()),
});

export const processResultSchema: z.ZodType<ProcessResult> = z.looseObject({
  delivered: z.array(z.looseObject({ owner: z.string(), folder: z.string(), rcpt: z.string() })),
  remote: z.array(z.looseObject({ address: z.string(), rcpt: z.string() })),
  failed: z.array(addressReason),
  tempFailed: z.array(addressReason),
  rejected: maybe(reply),
  analysis: maybe(z.looseObject({ score: z.number(), tags: z.array(z.string()), action: z.string() })).catch(undefined),
  skippedDuplicates: z.number().int().nonnegative().catch(0),
});

const destination = z.looseObject({
  key: z.string(),
  kind: z.enum(['mx', 'relay']),
  domain: z.string(),
  hosts: z.array(z.string()),
  requireTls: z.boolean(),
  auth: maybe(z.object({ user: z.string(), pass: z.string() })),
  hold: z.boolean(),
});

export const deliverTaskSchema: z.ZodType<DeliverTask> = z.looseObject({
  id: z.string().regex(QUEUE_ID),
  file: z.string(),
  bodyOffset: byteOffset,
  envelope: envelopeSchema,
  destination,
  recipients: z.array(z.looseObject({ address: z.string(), notify: maybe(z.array(z.string())), orcpt: maybe(z.string()) })),
});

export const deliverResultSchema: z.ZodType<DeliverResult> = z.looseObject({
  recipients: z.array(
    z.looseObject({
      address: z.string(),
      kind: z.enum(['sent', 'temp', 'perm']),
      status: z.string().catch(''),
      reply: z.string().catch(''),
      remoteMta: maybe(z.string()).catch(undefined),
      dsnPassed: maybe(z.boolean()).catch(undefined),
    }),
  ),
  attempts: z.array(
    z.looseObject({
      host: z.string(),
      ip: z.string(),
      port: z.number(),
      tls: maybe(z.string()),
      reply: z.string(),
      ms: z.number(),
      stage: z.enum(['connect', 'transaction']),
      reused: maybe(z.boolean()),
      recipients: maybe(z.number()),
      pipelining: maybe(z.boolean()),
    }),
  ).catch([]),
  unreachable: z.boolean().catch(false),
  dkim: maybe(z.union([z.looseObject({ domain: z.string(), selector: z.string() }), z.looseObject({ error: z.string() }), z.looseObject({ skipped: z.string(), domain: z.string() })])).catch(undefined),
  events: maybe(z.array(z.looseObject({ event: z.string(), level: z.enum(['info', 'warn']), fields: z.record(z.string(), z.unknown()) }))).catch(undefined),
});

/** Check a message crossing threads; throws an Error naming what was wrong (`what` says which message). */
export function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`${what} does not match its schema: ${schemaReason(r.error)}`);
  return r.data;
}
export const processTaskCheck = processTaskSchema;
export const processResultCheck = processResultSchema;
export const deliverTaskCheck = deliverTaskSchema;
export const deliverResultCheck = deliverResultSchema;
