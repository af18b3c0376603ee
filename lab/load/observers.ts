// Delivery observers for load runs: they see a message arrive where the target delivers it (a lab sink,
// or a Maildir's new/ directory watched with inotify) and give accept→delivered latency per message.
// They only read; they never move or delete a delivered message.
//
// API:
//   target.observer = sinkObserver(sink)                        // target relays to a lab sink
//   target.observer = maildirObserver('/data/mail/example.test/alice/Maildir')
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Sink } from '../peers/sink.js';
import type { DeliveryObserver } from './generator.js';
import { newHistogram, recordMs } from './histogram.js';

const TOKEN_RE = /X-Lab-Token: (\S+)/;

export function sinkObserver(sink: Sink): DeliveryObserver {
  const pending = new Map<string, number>();
  return {
    accepted(token, at) {
      pending.set(token, at);
    },
    async finish(ms) {
      const h = newHistogram();
      const deadline = performance.now() + ms;
      const seen = new Set<string>();
      let scanned = 0;
      for (;;) {
        for (; scanned < sink.messages.length; scanned++) {
          const m = sink.messages[scanned];
          const tok = TOKEN_RE.exec(m.raw.subarray(0, 2048).toString('latin1'))?.[1];
          const at = tok ? pending.get(tok) : undefined;
          if (tok && at !== undefined && !seen.has(tok)) {
            seen.add(tok);
            recordMs(h, Math.max(0.001, m.receivedPerf - at));
          }
        }
        if (seen.size >= pending.size || performance.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return { histogram: h, missing: pending.size - seen.size };
    },
  };
}

/** Watches <maildir>/new (created later is fine) and matches files to tokens by their X-Lab-Token header. */
export function maildirObserver(maildir: string): DeliveryObserver & { stop(): void } {
  const dir = path.join(maildir, 'new');
  const pending = new Map<string, number>();
  const arrived = new Map<string, number>();
  const files = new Set<string>();
  let watcher: fs.FSWatcher | undefined;
  const readToken = (name: string) => {
    if (files.has(name)) return;
    files.add(name);
    const at = performance.now();
    try {
      const fd = fs.openSync(path.join(dir, name), 'r');
      const buf = Buffer.alloc(4096);
      const n = fs.readSync(fd, buf, 0, buf.length, 0);
      fs.closeSync(fd);
      const tok = TOKEN_RE.exec(buf.subarray(0, n).toString('latin1'))?.[1];
      if (tok && !arrived.has(tok)) arrived.set(tok, at);
    } catch {
      files.delete(name); // moved away or not readable yet; a later scan may see it
    }
  };
  const scan = () => {
    try {
      for (const f of fs.readdirSync(dir)) readToken(f);
    } catch {
      /* not there yet */
    }
  };
  const tryWatch = () => {
    if (watcher) return;
    try {
      watcher = fs.watch(dir, (_ev, name) => {
        if (name) readToken(String(name));
      });
      watcher.on('error', () => undefined);
      scan();
    } catch {
      /* directory not created yet */
    }
  };
  tryWatch();
  const poll = setInterval(tryWatch, 100);
  poll.unref();
  const stop = () => {
    clearInterval(poll);
    watcher?.close();
  };
  return {
    accepted(token, at) {
      pending.set(token, at);
    },
    async finish(ms) {
      const deadline = performance.now() + ms;
      for (;;) {
        tryWatch();
        let missing = 0;
        for (const t of pending.keys()) if (!arrived.has(t)) missing++;
        if (missing === 0 || performance.now() >= deadline) break;
        scan();
        await new Promise((r) => setTimeout(r, 100));
      }
      stop();
      const h = newHistogram();
      let missing = 0;
      for (const [t, at] of pending) {
        const d = arrived.get(t);
        if (d === undefined) missing++;
        else recordMs(h, Math.max(0.001, d - at));
      }
      return { histogram: h, missing };
    },
    stop,
  };
}
