// Open-relay probes (FEATURES L2): classic third-party relay tricks tried against any SMTP server through
// its port, one verdict per probe: `refused` or `RELAYED` (or `skipped`/`error`), with the transcript.
// A probe that got its message accepted is RELAYED; it is "proven" when the probe's own sink received it.
// Probes only send to the relay domain (the sink's), never to a real outside address.
//
// API:
//   const results = await runRelayProbes({ host, port, localDomain: 'example.test', relayDomain, sink, auth });
//   formatProbeLine(result) → "percent-hack            refused   550 5.7.1 Relaying denied"
import { randomBytes } from 'node:crypto';
import { SmtpClient, type Reply } from '../smtp/client.js';
import type { Sink } from '../peers/sink.js';

export type ProbeVerdict = 'refused' | 'RELAYED' | 'skipped' | 'error';

export interface ProbeContext {
  /** The target's local domain (from --domain or the scenario). */
  local: string;
  /** The third-party domain the probes try to reach; the probe's sink receives mail for it where routed. */
  relay: string;
  /** The IP the target listens on (for IP-literal tricks). */
  targetIp: string;
  /** Victim mailbox at the relay domain. */
  victim: string;
}

export interface ProbeStep {
  helo?: string;
  /** 'good' = log in with --auth first; 'bad' = fail an AUTH first; undefined = no AUTH. */
  auth?: 'good' | 'bad';
  xclient?: string;
  mailFrom: string;
  /** Recipients; `relay: true` marks those whose acceptance is a relay. */
  rcpts: Array<{ addr: string; relay: boolean }>;
  /** Send MAIL, RCPT and DATA in one write without waiting (pipelining). */
  pipelined?: boolean;
  /** The RCPT command verb as sent (case variants). */
  rcptVerb?: string;
}

export interface RelayProbe {
  id: string;
  title: string;
  needsAuth?: boolean;
  build(ctx: ProbeContext): ProbeStep;
}

const upper = (s: string) => s.toUpperCase();
const mixed = (s: string) => s.split('').map((ch, i) => (i % 2 ? ch.toUpperCase() : ch.toLowerCase())).join('');

/** The probe set: at least 20 classic tricks. Each has one idea; the id is what reports and scenarios name. */
export const RELAY_PROBES: RelayProbe[] = [
  { id: 'plain', title: 'third party to third party', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'spoofed-local-sender', title: 'MAIL FROM a local address', build: (c) => ({ mailFrom: `postmaster@${c.local}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'null-sender', title: 'null reverse path', build: (c) => ({ mailFrom: '', rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'spoofed-helo', title: 'HELO claims the local domain', build: (c) => ({ helo: c.local, mailFrom: `probe@${c.local}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'percent-hack', title: 'user%remote@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}%${c.relay}@${c.local}`, relay: true }] }) },
  { id: 'percent-hack-ip-literal', title: 'user%remote@[target ip]', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}%${c.relay}@[${c.targetIp}]`, relay: true }] }) },
  { id: 'percent-hack-unqualified', title: 'user%remote', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}%${c.relay}`, relay: true }] }) },
  { id: 'bang-path', title: 'remote!user@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.relay}!${c.victim}@${c.local}`, relay: true }] }) },
  { id: 'bang-path-unqualified', title: 'remote!user', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.relay}!${c.victim}`, relay: true }] }) },
  { id: 'source-route', title: '@local:user@remote', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `@${c.local}:${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'source-route-multi', title: '@local,@mx.local:user@remote', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `@${c.local},@mx.${c.local}:${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'quoted-at', title: '"user@remote"@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `"${c.victim}@${c.relay}"@${c.local}`, relay: true }] }) },
  { id: 'quoted-percent', title: '"user%remote"@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `"${c.victim}%${c.relay}"@${c.local}`, relay: true }] }) },
  { id: 'quoted-bang', title: '"remote!user"@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `"${c.relay}!${c.victim}"@${c.local}`, relay: true }] }) },
  { id: 'ip-literal-remote', title: 'user@[third-party ip]', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@[192.0.2.1]`, relay: true }] }) },
  { id: 'quoted-at-ip-literal', title: '"user@remote"@[target ip]', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `"${c.victim}@${c.relay}"@[${c.targetIp}]`, relay: true }] }) },
  { id: 'trailing-dot', title: 'user@remote.', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}.`, relay: true }] }) },
  { id: 'case-variant-remote', title: 'user@REMOTE', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${upper(c.relay)}`, relay: true }] }) },
  { id: 'case-variant-percent', title: 'user%remote@LoCaL', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}%${c.relay}@${mixed(c.local)}`, relay: true }] }) },
  { id: 'double-at', title: 'user@remote@local', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}@${c.local}`, relay: true }] }) },
  { id: 'double-at-reversed', title: 'user@local@remote', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.local}@${c.relay}`, relay: true }] }) },
  { id: 'unqualified', title: 'bare local part', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: c.victim, relay: true }] }) },
  { id: 'local-then-remote', title: 'a local recipient first, then a remote one', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `postmaster@${c.local}`, relay: false }, { addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'lowercase-verb', title: 'rcpt to: in lower case with a space', build: (c) => ({ mailFrom: `probe@${c.relay}`, rcptVerb: 'rcpt to: ', rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'pipelined', title: 'MAIL, RCPT and DATA in one packet', build: (c) => ({ mailFrom: `probe@${c.relay}`, pipelined: true, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'xclient-spoof', title: 'XCLIENT claiming loopback', build: (c) => ({ xclient: 'ADDR=127.0.0.1 NAME=localhost', mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'after-failed-auth', title: 'relay after a failed AUTH', build: (c) => ({ auth: 'bad', mailFrom: `probe@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'auth-forged-sender', title: 'authenticated, MAIL FROM a foreign address', needsAuth: true, build: (c) => ({ auth: 'good', mailFrom: `ceo@${c.relay}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
  { id: 'auth-forged-local-sender', title: 'authenticated, MAIL FROM another local user', needsAuth: true, build: (c) => ({ auth: 'good', mailFrom: `postmaster@${c.local}`, rcpts: [{ addr: `${c.victim}@${c.relay}`, relay: true }] }) },
];

export interface ProbeResult {
  id: string;
  title: string;
  verdict: ProbeVerdict;
  /** The decisive reply, e.g. "550 5.7.1 Relaying denied", or why it was skipped. */
  detail: string;
  /** The sink received the message: relay proven. */
  proven: boolean;
  transcript: string[];
  token: string;
}

export interface RelayProbeOptions {
  host: string;
  port: number;
  localDomain: string;
  relayDomain?: string;
  /** The probe's own sink, watching for relayed messages; started by the caller (or by the scenario). */
  sink?: Sink;
  /** user:password for the probes that need a login. */
  auth?: { user: string; password: string };
  /** Only these probe ids. */
  only?: string[];
  timeoutMs?: number;
  /** How long to wait at the end for relayed messages to reach the sink. */
  proofWaitMs?: number;
  /** Try STARTTLS before AUTH when the server offers it. */
  startTls?: boolean;
  /** Called after each probe (progress lines). */
  onResult?: (r: ProbeResult) => void;
}

const fmt = (r: Reply) => `${r.code} ${r.text}`.trim();

async function runOne(probe: RelayProbe, o: RelayProbeOptions, ctx: ProbeContext, token: string): Promise<ProbeResult> {
  const base = { id: probe.id, title: probe.title, proven: false, token };
  if (probe.needsAuth && !o.auth) return { ...base, verdict: 'skipped', detail: 'needs --auth user:password', transcript: [] };
  const step = probe.build(ctx);
  let c: SmtpClient;
  try {
    c = await SmtpClient.connect(o.host, o.port, { timeoutMs: o.timeoutMs ?? 10_000 });
  } catch (e) {
    return { ...base, verdict: 'error', detail: `cannot connect: ${(e as Error).message}`, transcript: [] };
  }
  const done = (verdict: ProbeVerdict, detail: string): ProbeResult => {
    c.close();
    return { ...base, verdict, detail, transcript: c.transcript };
  };
  const noReply = (r: Reply) => r.code <= 0;
  try {
    const greet = await c.reply();
    if (greet.code !== 220) return done(noReply(greet) ? 'error' : 'refused', `greeting: ${fmt(greet)}`);
    let ehlo = await c.ehlo(step.helo ?? 'probe.lab.example.test');
    if (ehlo.code !== 250) return done(noReply(ehlo) ? 'error' : 'refused', `EHLO: ${fmt(ehlo)}`);
    if (step.auth && o.startTls !== false && /STARTTLS/i.test(ehlo.text)) {
      const st = await c.startTls();
      if (st.code === 220) ehlo = await c.ehlo(step.helo ?? 'probe.lab.example.test');
    }
    if (step.auth === 'good') {
      const r = await c.authPlain(o.auth!.user, o.auth!.password);
      if (r.code !== 235) return done('error', `could not log in with --auth: ${fmt(r)}`);
    } else if (step.auth === 'bad') {
      const r = await c.authPlain(`nobody@${ctx.local}`, `wrong-${token}`);
      if (r.code === 235) return done('RELAYED', `AUTH with a wrong password succeeded: ${fmt(r)}`);
    }
    if (step.xclient) {
      const r = await c.cmd(`XCLIENT ${step.xclient}`);
      if (r.code === 220) await c.ehlo(step.helo ?? 'probe.lab.example.test');
    }
    const message =
      `From: <${step.mailFrom || 'mailer-daemon@' + ctx.relay}>\r\nTo: <${ctx.victim}@${ctx.relay}>\r\n` +
      `Subject: relay probe ${probe.id}\r\nMessage-ID: <${token}@lab.example.test>\r\nX-Lab-Probe: ${token}\r\n\r\n` +
      `tegami lab relay probe ${probe.id} (${probe.title}); token ${token}\r\n`;
    const verb = step.rcptVerb ?? 'RCPT TO:';
    if (step.pipelined) {
      const lines = [`MAIL FROM:<${step.mailFrom}>`, ...step.rcpts.map((r) => `${verb}<${r.addr}>`), 'DATA'];
      c.write(lines.map((l) => l + '\r\n').join(''));
      const mail = await c.reply();
      const rc: Reply[] = [];
      for (let i = 0; i < step.rcpts.length; i++) rc.push(await c.reply());
      const data = await c.reply();
      const relayOk = step.rcpts.some((r, i) => r.relay && rc[i].code >= 200 && rc[i].code < 300);
      if (data.code === 354) {
        c.write(Buffer.from(message.replace(/^\./gm, '..') + '.\r\n'));
        const end = await c.reply();
        if (relayOk && end.code >= 200 && end.code < 300) return done('RELAYED', `accepted: ${fmt(end)}`);
        return done('refused', `MAIL ${mail.code}, RCPT ${rc.map((r) => r.code).join('/')}, end of DATA ${fmt(end)}`);
      }
      return done(noReply(mail) ? 'error' : 'refused', `MAIL ${fmt(mail)}; RCPT ${rc.map(fmt).join('; ')}; DATA ${fmt(data)}`);
    }
    const mail = await c.cmd(`MAIL FROM:<${step.mailFrom}>`);
    if (mail.code < 200 || mail.code >= 300) return done(noReply(mail) ? 'error' : 'refused', `MAIL: ${fmt(mail)}`);
    let relayAccepted = false;
    let anyAccepted = false;
    const refusals: string[] = [];
    for (const r of step.rcpts) {
      const rr = await c.cmd(`${verb}<${r.addr}>`);
      if (noReply(rr)) return done('error', `RCPT <${r.addr}>: ${fmt(rr)}`);
      if (rr.code >= 200 && rr.code < 300) {
        anyAccepted = true;
        if (r.relay) relayAccepted = true;
      } else if (r.relay) refusals.push(`RCPT <${r.addr}>: ${fmt(rr)}`);
    }
    if (!relayAccepted) {
      await c.quit();
      return { ...base, verdict: 'refused', detail: refusals.join('; '), transcript: c.transcript };
    }
    if (!anyAccepted) return done('refused', refusals.join('; '));
    const { start, end } = await c.data(message);
    if (start.code !== 354) return done('refused', `DATA: ${fmt(start)}`);
    if (end.code >= 200 && end.code < 300) {
      await c.quit();
      return { ...base, verdict: 'RELAYED', detail: `accepted for a third party: ${fmt(end)}`, transcript: c.transcript };
    }
    return done(noReply(end) ? 'error' : 'refused', `end of DATA: ${fmt(end)}`);
  } catch (e) {
    return done('error', (e as Error).message);
  }
}

/** Run the probes one after another (a relay-abuse run must not look like a flood), then look for proof in the sink. */
export async function runRelayProbes(o: RelayProbeOptions): Promise<ProbeResult[]> {
  const run = randomBytes(4).toString('hex');
  const ctx: ProbeContext = {
    local: o.localDomain.toLowerCase(),
    relay: (o.relayDomain ?? 'relay-sink.lab.example.test').toLowerCase(),
    targetIp: o.host.replace(/^\[|\]$/g, ''),
    victim: 'relaytest',
  };
  const probes = o.only ? RELAY_PROBES.filter((p) => o.only!.includes(p.id)) : RELAY_PROBES;
  const results: ProbeResult[] = [];
  for (const p of probes) {
    const r = await runOne(p, o, ctx, `${run}-${p.id}`);
    results.push(r);
    o.onResult?.(r);
  }
  if (o.sink) {
    const seen = () => new Set(o.sink!.messages.map((m) => /X-Lab-Probe: (\S+)/.exec(m.raw.toString('latin1'))?.[1]).filter(Boolean));
    const relayed = results.filter((r) => r.verdict === 'RELAYED');
    const deadline = Date.now() + (relayed.length ? (o.proofWaitMs ?? 3000) : 0);
    for (;;) {
      const s = seen();
      if (relayed.every((r) => s.has(r.token)) || Date.now() >= deadline) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    const s = seen();
    for (const r of results) {
      if (!s.has(r.token)) continue;
      r.proven = true;
      if (r.verdict !== 'RELAYED') {
        r.detail = `reached the probe's sink although the target answered: ${r.detail}`;
        r.verdict = 'RELAYED';
      }
    }
  }
  return results;
}

export function formatProbeLine(r: ProbeResult): string {
  const proof = r.verdict === 'RELAYED' ? (r.proven ? ' [proof: the probe sink received it]' : ' [accepted; no copy reached the probe sink]') : '';
  return `${r.id.padEnd(26)} ${r.verdict.padEnd(8)} ${r.detail}${proof}`;
}
