// tegami queue list [--json] [--domain D] [--state incoming|active|deferred|hold] | show ID [--json] |
// retry ID|--all|--domain D | flush | hold ID|--domain D | release ID|--domain D | delete ID|--domain D [--bounce].
// Asks the running server over its control socket; with no server running, works on the spool files. With
// [storage] backend = "postgres" it works on the shared queue's rows (every node's), or with --local on this node's spool.
// With --json, stdout carries exactly one JSON document and nothing else.
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';
import { PgQueueAdmin } from '../../queue/pg-queue-admin.js';
import { controlRequest, dispatch, QueueAdmin, STAGES, type ControlRequest, type ControlResponse, type MessageStage, type QueueEntry } from '../../queue/control.js';
import { recipientDomain } from '../../outbound/destination.js';

const USAGE = 'queue list [--json] [--domain D] [--state S] | show ID | retry ID|--all|--domain D | flush | hold ID|--domain D | release ID|--domain D | delete ID|--domain D [--bounce]';

function age(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function printList(list: QueueEntry[]): void {
  if (!list.length) {
    out('queue is empty');
    return;
  }
  out(['ID'.padEnd(16), 'AGE'.padStart(5), 'SIZE'.padStart(9), 'STATE'.padEnd(9), 'SENDER'].join(' '));
  for (const e of list) {
    out([e.id.padEnd(16), age(e.age_seconds).padStart(5), String(e.size).padStart(9), e.state.padEnd(9), e.sender || '<>'].join(' '));
    for (const r of e.recipients) {
      const next = r.held ? 'held' : r.next_attempt ? `next ${r.next_attempt}` : '';
      // the shared queue names the node delivering a recipient right now
      const node = (r as { node?: string | null }).node;
      out(`    ${r.address} (${r.kind}, ${r.status}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}${next ? ', ' + next : ''}${node ? `, on ${node}` : ''})`);
      if (r.last_error) out(`        ${r.last_error}`);
    }
  }
  out(`-- ${list.length} message${list.length === 1 ? '' : 's'}`);
}

export async function queue(args: Args): Promise<number> {
  const [given, id] = args.positional;
  // `flush`: every queued message due now (retry --all)
  const sub = given === 'flush' ? 'retry' : given;
  if (given === 'flush') args.flags.set('all', true);
  const json = args.flags.has('json');
  const domain = flag(args, 'domain');
  const state = flag(args, 'state');
  const all = args.flags.has('all');
  // a typo ("exmaple .jp", a whole address) would otherwise hold mail for a domain that can never match
  if (domain !== undefined && !/^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])$/i.test(domain)) {
    throw new UsageError(`--domain: not a domain name: "${domain}" (the part after @, e.g. example.jp)`);
  }
  let req: ControlRequest;
  switch (sub) {
    case 'list':
      if (state && !STAGES.includes(state as never)) throw new UsageError(`--state ${STAGES.join('|')}`);
      req = { cmd: 'list', args: { domain, state: state as MessageStage | undefined } };
      break;
    case 'show':
      if (!id) throw new UsageError('queue show ID');
      req = { cmd: 'show', args: { id } };
      break;
    case 'retry':
    case 'hold':
    case 'release':
    case 'delete':
      if (!id && !domain && !(all && sub === 'retry')) throw new UsageError(`queue ${sub} ID|${sub === 'retry' ? '--all|' : ''}--domain D`);
      if (id && !/^[0-9A-Z]+$/.test(id)) throw new UsageError(`not a queue id: ${id}`);
      req = { cmd: sub, args: { id, domain: id ? undefined : domain?.toLowerCase(), all: sub === 'retry' && all && !id && !domain, bounce: args.flags.has('bounce') } };
      break;
    default:
      // say which word was not understood, not only the usage
      throw new UsageError(given === undefined ? `a subcommand is needed: ${USAGE}` : `unknown subcommand "${given}": ${USAGE}`);
  }

  const ctx = await contextFrom(args);
  const local = args.flags.has('local');
  if (ctx.backend === 'postgres' && local) {
    process.stderr.write('tegami queue: --local: this node\'s spool only (mail not yet handed to the shared queue, and local deliveries)\n');
  }
  let res: ControlResponse;
  try {
    const isLocal = (a: string) => ctx.directory.localDomain(recipientDomain(a)) !== null;
    // the shared queue: its rows in PostgreSQL are every node's queue, changed here for all of them
    const live = ctx.backend === 'postgres' && ctx.pool && !local ? await dispatch(new PgQueueAdmin(ctx.pool, ctx.config, isLocal), req) : await controlRequest(ctx.config.data_dir, req);
    if (live) res = live;
    else {
      // no server running: the same operations, on the files
      res = await dispatch(new QueueAdmin(ctx.config, isLocal, null), req);
    }
  } finally {
    await ctx.close();
  }
  if (!res.ok) {
    process.stderr.write(`tegami queue: ${res.error}\n`);
    return 1;
  }
  const r = res.result;
  if (json) {
    out(JSON.stringify(sub === 'list' ? { queue: r } : r));
    return 0;
  }
  if (sub === 'list') printList(r as QueueEntry[]);
  else if (sub === 'show') {
    const e = r as QueueEntry & { headers: string; envelope: { client: { ip: string; helo: string; user?: string } } };
    printList([e]);
    out(`from client ${e.envelope.client.ip} (${e.envelope.client.helo})${e.envelope.client.user ? ` authenticated as ${e.envelope.client.user}` : ''}`);
    out('');
    out(e.headers);
  } else {
    const x = r as { messages: number; recipients?: number; bounced?: number; domain?: string };
    const what = { retry: 'scheduled for delivery now', hold: 'held', release: 'released', delete: 'deleted' }[sub as 'retry'];
    out(`${x.messages} message${x.messages === 1 ? '' : 's'} ${what}${x.domain ? ` (domain ${x.domain}${sub === 'hold' ? ', new mail for it is held too' : ''})` : ''}${sub === 'delete' ? `, ${x.recipients} recipient(s), ${x.bounced} bounce(s) sent` : ''}`);
    if (x.messages === 0 && id) {
      process.stderr.write(`tegami queue: no queued message ${id}\n`);
      return 1;
    }
  }
  return 0;
}
