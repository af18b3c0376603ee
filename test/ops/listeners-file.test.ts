// `tegami serve` with every listener on port 0: run/listeners.json names each listener with the address the
// system really gave it (no port is guessed beforehand), each answers there, and a clean stop removes the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestServer } from '../helpers/server.js';

function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    s.setEncoding('utf8');
    s.once('data', (d: string) => {
      s.destroy();
      resolve(d);
    });
    s.once('error', reject);
  });
}

test('run/listeners.json: the addresses bound on port 0, whole, removed at a clean stop', async () => {
  const srv = await startTestServer({ listeners: ['smtp', 'submission', 'pop3', 'imap'] });
  try {
    const file = path.join(srv.dataDir, 'run', 'listeners.json');
    const bound = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    assert.deepEqual(Object.keys(bound).sort(), ['imap', 'pop3', 'smtp', 'submission']);
    for (const [name, addr] of Object.entries(bound)) assert.match(addr, /^127\.0\.0\.1:[1-9]\d*$/, name);
    assert.equal(new Set(Object.values(bound)).size, 4, 'four different ports');
    assert.match(fs.readFileSync(srv.configPath, 'utf8'), /^smtp = "127\.0\.0\.1:0"$/m, 'configured on port 0');
    assert.match(await greeting(srv.ports.smtp), /^220 /);
    assert.match(await greeting(srv.ports.submission), /^220 /);
    assert.match(await greeting(srv.ports.pop3), /^\+OK/);
    assert.match(await greeting(srv.ports.imap), /^\* OK/);
    assert.equal(bound.smtp, `127.0.0.1:${srv.ports.smtp}`);
    assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('listeners')), ['listeners.json'], 'no temporary file left');
    assert.equal(await srv.stop(), 0);
    assert.equal(fs.existsSync(file), false, 'removed at a clean stop');
  } finally {
    await srv.stop();
    fs.rmSync(srv.dir, { recursive: true, force: true });
  }
});
