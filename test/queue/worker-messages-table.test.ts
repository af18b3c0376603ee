// A table of task and result messages, malformed and not, with what the check must make of each: the checked
// value, or a refusal naming the path of what was wrong. Written against the zod schemas the checks replaced,
// so the hand-written checks refuse and normalise exactly as they did (null read as absent, log-only details
// falling back to nothing, unknown tags dropped, unknown fields kept on loose objects, stripped on strict ones).
// The spool still reads its headers from disk with zod (envelopeSchema): the envelopes of the table go through
// both, which must agree.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { checked, checkEnvelope, deliverResultCheck, deliverTaskCheck, processResultCheck, processTaskCheck } from '../../engine/queue/worker-messages.js';
import type { ShapeError } from '../../engine/queue/shape.js';
import { decodeHeader, encodeHeader, envelopeSchema, type Envelope } from '../../engine/spool/envelope.js';
import type { Tag } from '../../engine/spam/tags.js';

const checks = { task: processTaskCheck, result: processResultCheck, dtask: deliverTaskCheck, dresult: deliverResultCheck } as const;
type Kind = keyof typeof checks;
const check = (kind: Kind, input: unknown): unknown => (checked as (c: unknown, v: unknown, what: string) => unknown)(checks[kind], input, kind);

const env = (): Envelope => ({
  id: 'ABC123',
  time: 1_700_000_000_000,
  mailFrom: '送信者@example.jp',
  rcptTo: [{ address: 'alice@example.test', kind: 'local' }],
  client: { ip: '192.0.2.7', helo: 'mx.example.jp', protocol: 'ESMTP', listener: 'smtp' },
});
const task = (over: Record<string, unknown> = {}, envOver: Record<string, unknown> = {}) => ({ id: 'ABC123', file: '/spool/ABC123', bodyOffset: 120, envelope: { ...env(), ...envOver }, recovered: false, ...over });
const result = (over: Record<string, unknown> = {}) => ({ delivered: [{ owner: 'alice@example.test', folder: 'INBOX', rcpt: 'alice@example.test' }], remote: [], failed: [], tempFailed: [], skippedDuplicates: 0, ...over });
const dtask = (over: Record<string, unknown> = {}) => ({
  id: 'ABC123',
  file: '/spool/ABC123',
  bodyOffset: 0,
  envelope: env(),
  destination: { key: 'mx:remote.test', kind: 'mx', domain: 'remote.test', hosts: ['mx1.remote.test'], requireTls: false, hold: false },
  recipients: [{ address: 'b@remote.test' }],
  ...over,
});
const dresult = (over: Record<string, unknown> = {}) => ({ recipients: [{ address: 'b@remote.test', kind: 'sent', status: '2.0.0', reply: '250 ok' }], attempts: [], unreachable: false, ...over });

/** [what, kind, input, expected output (deep-equal) or the path the refusal names]. */
type Row = [string, Kind, unknown, { out: unknown } | { path: string }];
const conn = { tags: ['SPF_PASS'] as Tag[], headers: ['Received-SPF: pass'], authResults: ['spf=pass'] };
const rows: Row[] = [
  // process task: the envelope and the fields around it
  ['a plain task', 'task', task(), { out: task() }],
  ['null fd and decision read as absent', 'task', task({ fd: null, decision: null, skipAnalysis: null }), { out: task({ fd: undefined, decision: undefined, skipAnalysis: undefined }) }],
  ['an unknown field is kept', 'task', task({ future: { x: 1 } }), { out: task({ future: { x: 1 } }) }],
  ['an id with a path in it', 'task', task({ id: '../etc/passwd' }), { path: 'id' }],
  ['an empty id', 'task', task({ id: '' }), { path: 'id' }],
  ['an id of 65 characters', 'task', task({ id: 'A'.repeat(65) }), { path: 'id' }],
  ['no id', 'task', { ...task(), id: undefined }, { path: 'id' }],
  ['a numeric file', 'task', task({ file: 7 }), { path: 'file' }],
  ['a negative body offset', 'task', task({ bodyOffset: -1 }), { path: 'bodyOffset' }],
  ['a fractional body offset', 'task', task({ bodyOffset: 1.5 }), { path: 'bodyOffset' }],
  ['an infinite body offset', 'task', task({ bodyOffset: Infinity }), { path: 'bodyOffset' }],
  ['a body offset past 2^53', 'task', task({ bodyOffset: 2 ** 60 }), { path: 'bodyOffset' }],
  ['a string body offset', 'task', task({ bodyOffset: '12' }), { path: 'bodyOffset' }],
  ['a negative fd', 'task', task({ fd: -1 }), { path: 'fd' }],
  ['recovered as a string', 'task', task({ recovered: 'false' }), { path: 'recovered' }],
  ['no recovered', 'task', { ...task(), recovered: undefined }, { path: 'recovered' }],
  ['skipAnalysis as a number', 'task', task({ skipAnalysis: 1 }), { path: 'skipAnalysis' }],
  ['a plain ArrayBuffer where a shared one belongs', 'task', task({ shared: new ArrayBuffer(8) }), { path: 'shared' }],
  ['a typed array as the decision cell', 'task', task({ decision: new Int32Array(1) }), { path: 'decision' }],
  ['no envelope', 'task', { ...task(), envelope: undefined }, { path: 'envelope' }],
  ['an envelope that is an array', 'task', task({ envelope: [] }), { path: 'envelope' }],
  ['a task that is null', 'task', null, { path: '(top)' }],
  ['a task that is a string', 'task', 'ABC123', { path: '(top)' }],
  ['a task that is an array', 'task', [task()], { path: '(top)' }],
  ['an envelope id that is not a queue id', 'task', task({}, { id: 'a b' }), { path: 'envelope.id' }],
  ['a NaN time', 'task', task({}, { time: NaN }), { path: 'envelope.time' }],
  ['a null sender given as null', 'task', task({}, { mailFrom: null }), { path: 'envelope.mailFrom' }],
  ['recipients as a string', 'task', task({}, { rcptTo: 'alice@example.test' }), { path: 'envelope.rcptTo' }],
  ['a recipient of an unknown kind', 'task', task({}, { rcptTo: [{ address: 'a', kind: 'local' }, { address: 'b', kind: 'elsewhere' }] }), { path: 'envelope.rcptTo.1.kind' }],
  ['a recipient that is null', 'task', task({}, { rcptTo: [null] }), { path: 'envelope.rcptTo.0' }],
  ['a NOTIFY list with a number', 'task', task({}, { rcptTo: [{ address: 'a', kind: 'local', notify: ['SUCCESS', 2] }] }), { path: 'envelope.rcptTo.0.notify.1' }],
  [
    'DSN parameters: null ENVID read as absent, unknown keys stripped, recipient fields kept',
    'task',
    task({}, { dsn: { ret: 'HDRS', envid: null, extra: 1 }, rcptTo: [{ address: 'a', kind: 'remote', notify: ['NEVER'], orcpt: 'rfc822;a', x: 1 }] }),
    { out: task({}, { dsn: { ret: 'HDRS', envid: undefined }, rcptTo: [{ address: 'a', kind: 'remote', notify: ['NEVER'], orcpt: 'rfc822;a', x: 1 }] }) },
  ],
  ['a DSN RET of another value', 'task', task({}, { dsn: { ret: 'BODY' } }), { path: 'envelope.dsn.ret' }],
  ['a null dsn', 'task', task({}, { dsn: null }), { out: task({}, { dsn: undefined }) }],
  ['SMTPUTF8 as a string', 'task', task({}, { smtputf8: 'yes' }), { path: 'envelope.smtputf8' }],
  ['8BITMIME as a number', 'task', task({}, { body8bit: 0 }), { path: 'envelope.body8bit' }],
  ['no client', 'task', task({}, { client: undefined }), { path: 'envelope.client' }],
  ['a client ip as a number', 'task', task({}, { client: { ...env().client, ip: 2130706433 } }), { path: 'envelope.client.ip' }],
  ['a client without a listener', 'task', task({}, { client: { ip: '::1', helo: 'h', protocol: 'ESMTP' } }), { path: 'envelope.client.listener' }],
  [
    'client optional fields null, unknown kept',
    'task',
    task({}, { client: { ...env().client, ptr: null, tls: null, user: null, host: null, port: 25 } }),
    { out: task({}, { client: { ...env().client, ptr: undefined, tls: undefined, user: undefined, host: undefined, port: 25 } }) },
  ],
  ['a client user as an object', 'task', task({}, { client: { ...env().client, user: { name: 'x' } } }), { path: 'envelope.client.user' }],
  ['the origin passes as it is (checked where it is used)', 'task', task({}, { origin: { kind: 'author', domain: 'example.jp', by: 'login' } }), { out: task({}, { origin: { kind: 'author', domain: 'example.jp', by: 'login' } }) }],
  [
    'connection results: a tag this version does not know is dropped, unknown keys of the reply and SPF stripped',
    'task',
    task({}, { connection: { ...conn, tags: ['SPF_PASS', 'NO_SUCH_TAG'], reject: { code: 550, status: '5.7.1', text: 'listed', why: 1 }, spf: { result: 'pass', domain: 'example.jp', x: 1 }, more: true } }),
    { out: task({}, { connection: { ...conn, tags: ['SPF_PASS'], reject: { code: 550, status: '5.7.1', text: 'listed' }, spf: { result: 'pass', domain: 'example.jp' }, more: true } }) },
  ],
  ['connection results: a null reject and SPF', 'task', task({}, { connection: { ...conn, reject: null, spf: null } }), { out: task({}, { connection: { ...conn, reject: undefined, spf: undefined } }) }],
  ['connection results: a tag that is not a string', 'task', task({}, { connection: { ...conn, tags: [3] } }), { path: 'envelope.connection.tags.0' }],
  ['connection results: no headers', 'task', task({}, { connection: { tags: [], authResults: [] } }), { path: 'envelope.connection.headers' }],
  ['connection results: a fractional reply code', 'task', task({}, { connection: { ...conn, reject: { code: 550.5, status: '5.7.1', text: 'x' } } }), { path: 'envelope.connection.reject.code' }],
  ['connection results: SPF without a domain', 'task', task({}, { connection: { ...conn, spf: { result: 'pass' } } }), { path: 'envelope.connection.spf.domain' }],
  ['connection results as a string', 'task', task({}, { connection: 'pass' }), { path: 'envelope.connection' }],
  // process result
  ['a plain result', 'result', result(), { out: result() }],
  [
    'a result with analysis, a rejection and what a newer worker adds',
    'result',
    result({ analysis: { score: 5.5, tags: ['A'], action: 'reject', why: 'x' }, rejected: { code: 550, status: '5.7.1', text: 'spam', x: 1 }, originated: ['X1'], events: [] }),
    { out: result({ analysis: { score: 5.5, tags: ['A'], action: 'reject', why: 'x' }, rejected: { code: 550, status: '5.7.1', text: 'spam' }, originated: ['X1'], events: [] }) },
  ],
  ['deliveries as a string', 'result', result({ delivered: 'all' }), { path: 'delivered' }],
  ['a delivery without a folder', 'result', result({ delivered: [{ owner: 'a', rcpt: 'a' }] }), { path: 'delivered.0.folder' }],
  ['a remote recipient without its RCPT', 'result', result({ remote: [{ address: 'x@remote.test' }] }), { path: 'remote.0.rcpt' }],
  ['a failure without a reason', 'result', result({ failed: [{ address: 'x' }] }), { path: 'failed.0.reason' }],
  ['a null temporary failure', 'result', result({ tempFailed: [null] }), { path: 'tempFailed.0' }],
  ['no tempFailed', 'result', { ...result(), tempFailed: undefined }, { path: 'tempFailed' }],
  ['a rejection with a string code', 'result', result({ rejected: { code: '550', status: '5.7.1', text: 'x' } }), { path: 'rejected.code' }],
  ['a null rejection', 'result', result({ rejected: null }), { out: result({ rejected: undefined }) }],
  ['a malformed analysis only feeds the log: dropped', 'result', result({ analysis: { score: 'high', tags: [], action: 'inbox' } }), { out: result({ analysis: undefined }) }],
  ['an analysis with tags of numbers: dropped', 'result', result({ analysis: { score: 1, tags: [1], action: 'inbox' } }), { out: result({ analysis: undefined }) }],
  ['a negative duplicate count reads 0', 'result', result({ skippedDuplicates: -1 }), { out: result({ skippedDuplicates: 0 }) }],
  ['a missing duplicate count reads 0', 'result', { ...result(), skippedDuplicates: undefined }, { out: result({ skippedDuplicates: 0 }) }],
  ['a fractional duplicate count reads 0', 'result', result({ skippedDuplicates: 1.5 }), { out: result({ skippedDuplicates: 0 }) }],
  ['a result that is null', 'result', null, { path: '(top)' }],
  ['a result that is a number', 'result', 42, { path: '(top)' }],
  // delivery task and result
  ['a plain delivery task', 'dtask', dtask(), { out: dtask() }],
  ['a destination of another kind', 'dtask', dtask({ destination: { ...dtask().destination, kind: 'lmtp' } }), { path: 'destination.kind' }],
  ['a destination host that is a number', 'dtask', dtask({ destination: { ...dtask().destination, hosts: [1] } }), { path: 'destination.hosts.0' }],
  [
    'relay credentials: extra keys stripped; null read as absent',
    'dtask',
    dtask({ destination: { ...dtask().destination, kind: 'relay', auth: { user: 'u', pass: 'p', x: 1 } }, recipients: [{ address: 'b', notify: null, orcpt: null }] }),
    { out: dtask({ destination: { ...dtask().destination, kind: 'relay', auth: { user: 'u', pass: 'p' } }, recipients: [{ address: 'b', notify: undefined, orcpt: undefined }] }) },
  ],
  ['relay credentials without a password', 'dtask', dtask({ destination: { ...dtask().destination, auth: { user: 'u' } } }), { path: 'destination.auth.pass' }],
  ['no hold flag', 'dtask', dtask({ destination: { ...dtask().destination, hold: undefined } }), { path: 'destination.hold' }],
  ['a delivery recipient without an address', 'dtask', dtask({ recipients: [{}] }), { path: 'recipients.0.address' }],
  ['a delivery task with a damaged envelope', 'dtask', dtask({ envelope: { ...env(), rcptTo: [{ address: 1, kind: 'local' }] } }), { path: 'envelope.rcptTo.0.address' }],
  ['a plain delivery result', 'dresult', dresult(), { out: dresult() }],
  ['a recipient of an unknown outcome', 'dresult', dresult({ recipients: [{ address: 'b', kind: 'maybe', status: '', reply: '' }] }), { path: 'recipients.0.kind' }],
  ['a recipient without an address', 'dresult', dresult({ recipients: [{ kind: 'sent', status: '2.0.0', reply: '250' }] }), { path: 'recipients.0.address' }],
  [
    'log-only details of a sent recipient fall back to nothing, never refuse an accepted delivery',
    'dresult',
    dresult({ recipients: [{ address: 'b', kind: 'sent', status: 2, reply: null, remoteMta: 42, dsnPassed: 'yes' }], attempts: [{ host: 'mx', ip: null }], unreachable: 'no', dkim: 'yes', events: 'many' }),
    { out: dresult({ recipients: [{ address: 'b', kind: 'sent', status: '', reply: '', remoteMta: undefined, dsnPassed: undefined }], attempts: [], unreachable: false, dkim: undefined, events: undefined }) },
  ],
  ['a recipient without status or reply gets empty ones', 'dresult', dresult({ recipients: [{ address: 'b', kind: 'temp' }] }), { out: dresult({ recipients: [{ address: 'b', kind: 'temp', status: '', reply: '' }] }) }],
  [
    'attempts, DKIM and events as a newer worker writes them',
    'dresult',
    dresult({
      attempts: [{ host: 'mx', ip: '192.0.2.1', port: 25, tls: 'TLSv1.3', reply: '250', ms: 3.5, stage: 'transaction', reused: true, recipients: 2, pipelining: null, extra: 1 }],
      dkim: { skipped: 'no key', domain: 'example.jp', extra: 1 },
      events: [{ event: 'srs', level: 'info', fields: { a: 1, 日本: ['語'] }, extra: 1 }],
    }),
    {
      out: dresult({
        attempts: [{ host: 'mx', ip: '192.0.2.1', port: 25, tls: 'TLSv1.3', reply: '250', ms: 3.5, stage: 'transaction', reused: true, recipients: 2, pipelining: undefined, extra: 1 }],
        dkim: { skipped: 'no key', domain: 'example.jp', extra: 1 },
        events: [{ event: 'srs', level: 'info', fields: { a: 1, 日本: ['語'] }, extra: 1 }],
      }),
    },
  ],
  ['a DKIM error', 'dresult', dresult({ dkim: { error: 'bad key' } }), { out: dresult({ dkim: { error: 'bad key' } }) }],
  ['a DKIM result of no known shape is dropped', 'dresult', dresult({ dkim: { domain: 'example.jp' } }), { out: dresult({ dkim: undefined }) }],
  ['one bad attempt drops the attempts (log only)', 'dresult', dresult({ attempts: [{ host: 'mx', ip: '192.0.2.1', port: 25, reply: '250', ms: 1, stage: 'greeting' }] }), { out: dresult({ attempts: [] }) }],
  ['an event of an unknown level drops the events (log only)', 'dresult', dresult({ events: [{ event: 'x', level: 'debug', fields: {} }] }), { out: dresult({ events: undefined }) }],
  ['event fields that are an array drop the events', 'dresult', dresult({ events: [{ event: 'x', level: 'info', fields: [] }] }), { out: dresult({ events: undefined }) }],
  ['recipients as an object', 'dresult', dresult({ recipients: { 0: 'b' } }), { path: 'recipients' }],
  // sparse arrays survive structured clone: a hole is checked as undefined (refused), never skipped
  ['a hole in rcptTo', 'task', task({}, { rcptTo: holed(env().rcptTo[0]) }), { path: 'envelope.rcptTo.1' }],
  ['a hole in delivered', 'result', result({ delivered: holed(result().delivered[0]) }), { path: 'delivered.1' }],
  ['a hole in the delivery recipients', 'dtask', dtask({ recipients: holed({ address: 'b@remote.test' }) }), { path: 'recipients.1' }],
  ['a hole in the delivery results', 'dresult', dresult({ recipients: holed(dresult().recipients[0]) }), { path: 'recipients.1' }],
];

/** [x, <hole>]: an array of length 2 whose second item was never set. */
function holed(x: unknown): unknown[] {
  const a = [x];
  a.length = 2;
  return a;
}

it('checks every row of the table as the schemas it replaced did', () => {
  for (const [what, kind, input, want] of rows) {
    if ('out' in want) {
      assert.deepEqual(check(kind, input), want.out, what);
    } else {
      const esc = want.path.replace(/[.()]/g, (c) => `\\${c}`);
      assert.throws(() => check(kind, input), new RegExp(`^Error: ${kind} does not match its schema: ${esc}: `), what);
    }
  }
});

it('keeps shared buffers as the same objects (no copy of a message body)', () => {
  const shared = new SharedArrayBuffer(16);
  const decision = new SharedArrayBuffer(4);
  const t = checked(processTaskCheck, task({ shared, decision }), 'task');
  assert.equal(t.shared, shared);
  assert.equal(t.decision, decision);
});

it('accepts what the spool writes and reads back, including Japanese addresses and every optional field', () => {
  const full: Envelope = {
    ...env(),
    rcptTo: [{ address: '山田@例え.jp', kind: 'local', notify: ['SUCCESS', 'FAILURE'], orcpt: 'utf-8;山田@例え.jp' }],
    dsn: { ret: 'FULL', envid: 'ＩＤ-1' },
    smtputf8: true,
    body8bit: true,
    client: { ip: '2001:db8::1', ptr: 'mx.example.jp', helo: 'mx.example.jp', protocol: 'ESMTPSA', tls: 'TLSv1.3', user: 'taro@example.jp', listener: 'submission', host: 'mail.example.jp' },
    connection: { ...conn, reject: undefined, spf: { result: 'pass', domain: 'example.jp' } },
    origin: { kind: 'author', domain: 'example.jp', by: 'login' },
  };
  const d = decodeHeader(encodeHeader(full));
  assert.ok(d.ok);
  assert.deepEqual(checked(processTaskCheck, task({ envelope: d.envelope }), 'task').envelope, d.envelope);
});

it("checks envelopes as the spool's schema does (the same shape read from disk and from another thread)", () => {
  for (const [what, kind, input] of rows) {
    const e = kind === 'task' && input && typeof input === 'object' ? (input as { envelope?: unknown }).envelope : undefined;
    if (e === undefined) continue;
    const z = envelopeSchema.safeParse(e);
    let mine: { ok: true; value: unknown } | { ok: false; path: string };
    try {
      mine = { ok: true, value: checkEnvelope(e) };
    } catch (err) {
      mine = { ok: false, path: (err as ShapeError).path };
    }
    if (z.success) assert.deepEqual(mine, { ok: true, value: z.data }, what);
    else assert.deepEqual(mine, { ok: false, path: z.error.issues[0].path.join('.') }, what);
  }
});

it('drops an own "__proto__" field, as the zod schemas did, at every level (it would set a prototype when copied on)', () => {
  const proto = (o: object) => Object.assign(JSON.parse('{"__proto__": {"polluted": true}}') as object, o);
  const tasks: [Kind, unknown][] = [
    ['task', structuredClone(proto(task({}, { client: proto(env().client), rcptTo: [proto(env().rcptTo[0])], connection: proto({ ...conn }) })))],
    ['result', structuredClone(proto(result({ delivered: [proto(result().delivered[0])], failed: [proto({ address: 'a@b', reason: 'x' })] })))],
    ['dtask', structuredClone(proto(dtask({ destination: proto(dtask().destination), recipients: [proto({ address: 'b@remote.test' })] })))],
    ['dresult', structuredClone(proto(dresult({ recipients: [proto(dresult().recipients[0])] })))],
  ];
  for (const [kind, input] of tasks) {
    assert.ok(Object.hasOwn(input as object, '__proto__'), 'the input carries the field');
    const seen: string[] = [];
    JSON.stringify(check(kind, input), (k, v: unknown) => {
      if (k === '__proto__') seen.push(kind);
      return v;
    });
    assert.deepEqual(seen, [], kind);
  }
});
