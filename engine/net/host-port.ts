// The one parser of "host:port" text (listen addresses, smarthosts and routes, DNS servers): "host:port",
// "[v6]:port", and, when a default port is given, "host", "[v6]" and a bare IPv6 address. It never resolves
// a name and never throws: a string it cannot read is null, and the caller says what was wrong.
import net from 'node:net';

export interface HostPort {
  /** Name or address without brackets; "" for "all interfaces" (":25"). */
  host: string;
  port: number;
}

export function parseHostPort(s: string, defaultPort?: number): HostPort | null {
  const text = s.trim();
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) [, host, port] = bracketed;
  else if (net.isIPv6(text)) host = text;
  else {
    const m = /^([^:[\]\s]*)(?::(\d{1,5}))?$/.exec(text);
    if (!m) return null;
    [, host, port] = m;
  }
  const n = port === undefined ? defaultPort : Number(port);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 65535) return null;
  return { host, port: n };
}

/** A listener address: like parseHostPort without a default port, but a bad one is a start-up error. */
export function listenAddress(s: string): HostPort {
  const hp = parseHostPort(s);
  if (!hp) throw new Error(`bad listen address "${s}": expected host:port ([::1]:port for IPv6)`);
  return hp;
}
