// Which addresses a domain's MX (or implicit MX) may send us to. Whoever owns a domain writes its DNS, so an
// MX can name any address: this host itself (127.0.0.1, 0.0.0.0 or one of its own interfaces, where our own
// SMTP listener would take the copy back as from a loopback client: a `[relay] allow_ips` host, so relayed on
// and DKIM-signed as the author's), a cloud metadata service (169.254.169.254) or a multicast group. None of
// them is another domain's mail exchanger. Refused:
// - an address that is never a mail exchanger: unspecified (0.0.0.0/8, ::), link-local (169.254/16, fe80::/10),
//   multicast (224/4, ff00::/8), reserved (240/4, broadcast);
// - this host (loopback, or an address of one of its interfaces) on the port of one of our SMTP listeners
//   (smtp, submission, submissions): the mail would loop back to ourselves (Postfix says the same, 5.4.6).
// Private networks (10/8, 192.168/16, fc00::/7) stay allowed: split-horizon DNS names internal exchangers there.
// Relay routes ([[route]], the smarthost) are the operator's word and never screened. No I/O except reading the
// host's interface addresses and the server's run/listeners.json.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { IpList, isLoopback, unmapV4 } from '../policy/cidr.js';
import { parseHostPort } from '../net/host-port.js';

/** Why an (address, port) is no mail exchanger of another domain, or null when it may be tried. */
export type ExchangerScreen = (ip: string, port: number) => string | null;

const NEVER = new IpList(['0.0.0.0/8', '169.254.0.0/16', '224.0.0.0/4', '240.0.0.0/4', '::/128', 'fe80::/10', 'ff00::/8']);

/** Addresses no exchanger has (unspecified, link-local, multicast, reserved). */
export function neverAnExchanger(ip: string): boolean {
  return NEVER.has(unmapV4(ip));
}

function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const i of list ?? []) out.add(unmapV4(i.address.replace(/%.*$/, '').toLowerCase()));
  return out;
}

/**
 * The listeners `serve` really bound (<data_dir>/run/listeners.json: name → "host:port", port 0 resolved), over
 * the configured ones; the file is checked before use (a value that is no "host:port" text is ignored).
 */
export function boundListeners(dataDir: string, configured: Partial<Record<string, string>>): Partial<Record<string, string>> {
  const out = { ...configured };
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dataDir, 'run', 'listeners.json'), 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string' && x.length < 300 && parseHostPort(x)) out[k] = x;
  } catch {
    // not running yet (or not this node's data dir): the configured addresses
  }
  return out;
}

/**
 * The screen for a server whose listeners are `listeners` (LoadedConfig.listeners: name → "host:port"): only the
 * SMTP ones matter. `own` is this host's interface addresses (tests give theirs).
 */
export function exchangerScreen(listeners: Partial<Record<string, string>>, own: Set<string> = ownAddresses()): ExchangerScreen {
  const smtp: { host: string; port: number }[] = [];
  for (const name of ['smtp', 'submission', 'submissions']) {
    const hp = listeners[name] ? parseHostPort(listeners[name]!) : null;
    if (hp && hp.port > 0) smtp.push({ host: unmapV4(hp.host.toLowerCase()), port: hp.port });
  }
  const thisHost = (ip: string) => isLoopback(ip) || own.has(ip);
  return (address, port) => {
    const ip = unmapV4(address.toLowerCase());
    if (!net.isIP(ip)) return null;
    if (neverAnExchanger(ip)) return `${ip} is no mail exchanger (unspecified, link-local, multicast or reserved address)`;
    const ours = smtp.some((l) => l.port === port && (l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? thisHost(ip) : l.host === ip));
    return ours ? `${ip}:${port} is this server's own SMTP listener (mail loops back to myself)` : null;
  };
}
