// Run inside a private network namespace (`unshare -rn`, see throttle.test.ts): gives loopback a few addresses
// of two IPv6 /64 networks, starts an IMAP server on one of them, and connects from several addresses of the
// same /64 and of another, printing what each got as one JSON line. It changes nothing outside the namespace.
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { PASS, startHarness, USER } from '../imap/harness.js';

const NET_A = '2001:db8:5::';
const NET_B = '2001:db8:6::';

function addAddresses(): void {
  execFileSync('ip', ['link', 'set', 'lo', 'up']);
  for (const a of [`${NET_A}1`, `${NET_A}10`, `${NET_A}11`, `${NET_A}12`, `${NET_A}20`, `${NET_A}21`, `${NET_A}22`, `${NET_A}23`, `${NET_B}10`, `${NET_B}20`]) {
    execFileSync('ip', ['-6', 'addr', 'add', `${a}/64`, 'dev', 'lo', 'nodad']);
  }
}

/** Connect from `from`, read the greeting, optionally send one command and read its tagged answer; keep or close. */
async function session(port: number, from: string, command?: string, keep = false): Promise<{ first: string; socket: net.Socket }> {
  const socket = net.connect({ host: `${NET_A}1`, port, localAddress: from, family: 6 });
  socket.on('error', () => {});
  let buf = '';
  const line = (prefix?: string) =>
    new Promise<string>((resolve) => {
      const look = () => {
        for (;;) {
          const i = buf.indexOf('\r\n');
          if (i < 0) return false;
          const l = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!prefix || l.startsWith(prefix)) {
            resolve(l);
            return true;
          }
        }
      };
      const onData = (d: Buffer) => {
        buf += d.toString('latin1');
        if (look()) socket.off('data', onData);
      };
      if (!look()) socket.on('data', onData);
      socket.once('close', () => resolve(buf || '(closed)'));
    });
  const greeting = await line();
  let first = greeting;
  if (command && greeting.startsWith('* OK')) {
    socket.write(`a ${command}\r\n`);
    first = await line('a ');
  }
  if (!keep) socket.destroy();
  return { first, socket };
}

addAddresses();
const h = await startHarness({
  host: `[${NET_A}1]`,
  toml: '[auth]\nthrottle_after = 0\nblock_after = 3\nblock_for = "10m"\naccount_throttle_after = 0\n[imap]\nallow_insecure_auth = true\nmax_connections_per_ip = 2',
});
const port = h.plain.port;
const out: Record<string, string> = {};
try {
  const a = await session(port, `${NET_A}10`, undefined, true);
  const b = await session(port, `${NET_A}11`, undefined, true);
  const c = await session(port, `${NET_A}12`);
  const d = await session(port, `${NET_B}10`, undefined, true);
  out.sameNet1 = a.first;
  out.sameNet2 = b.first;
  out.sameNet3 = c.first;
  out.otherNet = d.first;
  for (const s of [a, b, d]) s.socket.destroy();
  await new Promise((r) => setTimeout(r, 200));
  for (const from of ['20', '21', '22']) out[`fail${from}`] = (await session(port, `${NET_A}${from}`, `LOGIN ${USER} wrong-${from}`)).first;
  out.blockedRightPassword = (await session(port, `${NET_A}23`, `LOGIN ${USER} ${PASS}`)).first;
  out.otherNetLogin = (await session(port, `${NET_B}20`, `LOGIN ${USER} ${PASS}`)).first;
} finally {
  await h.close();
}
console.log(JSON.stringify(out));
