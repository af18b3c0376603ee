// Schemas of what crosses between the main thread and the worker pool: the "process" and "deliver-remote"
// tasks (checked by the worker before it acts) and their results (checked by the queue before it writes
// state or logs from them). A message that does not match is a bug or damage: it is refused with the reason,
// never half-used. Loose objects, so a field added on one side is kept rather than silently stripped.
import { z } from 'zod';
import { envelopeSchema, QUEUE_ID, schemaReason } from '../spool/envelope.js';
import type { ProcessResult, ProcessTask } from '../../workers/process.js';
import type { DeliverResult, DeliverTask } from '../../workers/deliver-remote.js';

const reply = z.object({ code: z.number().int(), status: z.string(), text: z.string() });
const addressReason = z.looseObject({ address: z.string(), reason: z.string() });
const byteOffset = z.number().int().nonnegative();

export const processTaskSchema: z.ZodType<ProcessTask> = z.looseObject({
  id: z.string().regex(QUEUE_ID),
  shared: z.instanceof(SharedArrayBuffer).optional(),
  fd: z.number().int().nonnegative().optional(),
  file: z.string(),
  bodyOffset: byteOffset,
  envelope: envelopeSchema,
  recovered: z.boolean(),
  decision: z.instanceof(SharedArrayBuffer).optional(),
  skipAnalysis: z.boolean().optional(),
});

export const processResultSchema: z.ZodType<ProcessResult> = z.looseObject({
  delivered: z.array(z.looseObject({ owner: z.string(), folder: z.string(), rcpt: z.string() })),
  remote: z.array(z.looseObject({ address: z.string(), rcpt: z.string() })),
  failed: z.array(addressReason),
  tempFailed: z.array(addressReason),
  rejected: reply.optional(),
  analysis: z.looseObject({ score: z.number(), tags: z.array(z.string()), action: z.string() }).optional(),
  skippedDuplicates: z.number().int().nonnegative(),
});

const destination = z.looseObject({
  key: z.string(),
  kind: z.enum(['mx', 'relay']),
  domain: z.string(),
  hosts: z.array(z.string()),
  requireTls: z.boolean(),
  auth: z.object({ user: z.string(), pass: z.string() }).optional(),
  hold: z.boolean(),
});

export const deliverTaskSchema: z.ZodType<DeliverTask> = z.looseObject({
  id: z.string().regex(QUEUE_ID),
  file: z.string(),
  bodyOffset: byteOffset,
  envelope: envelopeSchema,
  destination,
  recipients: z.array(z.looseObject({ address: z.string(), notify: z.array(z.string()).optional(), orcpt: z.string().optional() })),
});

export const deliverResultSchema: z.ZodType<DeliverResult> = z.looseObject({
  recipients: z.array(
    z.looseObject({
      address: z.string(),
      kind: z.enum(['sent', 'temp', 'perm']),
      status: z.string(),
      reply: z.string(),
      remoteMta: z.string().optional(),
      dsnPassed: z.boolean().optional(),
    }),
  ),
  attempts: z.array(
    z.looseObject({
      host: z.string(),
      ip: z.string(),
      port: z.number(),
      tls: z.string().optional(),
      reply: z.string(),
      ms: z.number(),
      stage: z.enum(['connect', 'transaction']),
      reused: z.boolean().optional(),
      recipients: z.number().optional(),
      pipelining: z.boolean().optional(),
    }),
  ),
  unreachable: z.boolean(),
  dkim: z.union([z.looseObject({ domain: z.string(), selector: z.string() }), z.looseObject({ error: z.string() })]).optional(),
  events: z.array(z.looseObject({ event: z.string(), level: z.enum(['info', 'warn']), fields: z.record(z.string(), z.unknown()) })).optional(),
});

/** Check a message crossing threads; throws an Error naming what was wrong (`what` says which message). */
export function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`${what} does not match its schema: ${schemaReason(r.error)}`);
  return r.data;
}
