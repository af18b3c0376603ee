// The monitor's state machine with checks given by the test: "down" only after `failures` failed checks in
// a row (one failure among successes alerts nothing), a target down from the start is alerted, "up again"
// carries how long it was down, the first "up" is not alerted, an alert that never finishes holds back no
// check, and history and last checks are bounded. Checks run at their interval (mock timers).
import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { Monitor } from '../../engine/monitor/monitor.js';
import type { Alerter, AlertEvent } from '../../engine/monitor/alerts.js';
import type { MonitorConfig } from '../../engine/config/schema.js';
import { Logger } from '../../engine/log/logger.js';

const base: MonitorConfig = { name: 'a', check: 'tcp', target: '127.0.0.1:1', tls: false, verify_tls: true, interval: 1000, timeout: 500, failures: 3, record: 'A' };

function setup(script: Record<string, boolean[]>, opts: { hang?: boolean } = {}) {
  const alerts: AlertEvent[] = [];
  const alerter = { send: (e: AlertEvent) => (alerts.push(e), opts.hang ? new Promise(() => {}) : Promise.resolve([])) } as unknown as Alerter;
  const now = { t: Date.UTC(2026, 0, 1) };
  const configs = Object.keys(script).map((name) => ({ ...base, name }));
  const m = new Monitor(configs, {
    logger: new Logger({ stdout: false, files: false, sink: null }),
    alerter,
    now: () => now.t,
    probe: async (c) => {
      const ok = script[c.name].shift() ?? true;
      return { ok, detail: ok ? '220 ok' : 'ECONNREFUSED', ms: 1 };
    },
  });
  return { m, alerts, now };
}

describe('the monitor state machine', () => {
  it('down after `failures` in a row, up again with the downtime; a lone failure alerts nothing', async () => {
    const { m, alerts, now } = setup({ a: [true, false, true, false, false, false, false, true, true] });
    for (let i = 0; i < 9; i++) {
      await m.checkAll();
      now.t += 1000;
    }
    assert.deepEqual(
      alerts.map((a) => a.kind),
      ['down', 'up'],
    );
    assert.equal(alerts[0].failures, 3);
    assert.equal(alerts[1].down_s, 2); // down at the 3rd failure (t=5 s), up at t=7 s
    const s = m.snapshot()[0];
    assert.equal(s.state, 'up');
    assert.deepEqual(
      s.history.map((h) => `${h.from}→${h.to}`),
      ['unknown→up', 'up→down', 'down→up'],
    );
    assert.equal(s.checks.length, 9);
  });

  it('a target down from the start is alerted; the first up is not', async () => {
    const { m, alerts } = setup({ down: [false, false, false], up: [true] });
    for (let i = 0; i < 3; i++) await m.checkAll();
    assert.deepEqual(
      alerts.map((a) => `${a.target} ${a.kind}`),
      ['down down'],
    );
  });

  it('an alert that never finishes holds back no check; history and checks stay bounded', async () => {
    const flapping = Array.from({ length: 400 }, (_, i) => i % 8 >= 4);
    const { m, alerts } = setup({ a: flapping }, { hang: true });
    for (let i = 0; i < 400; i++) await m.checkAll();
    assert.ok(alerts.length >= 90, `${alerts.length} alerts`);
    const s = m.snapshot()[0];
    assert.equal(s.checks.length, 20);
    assert.equal(s.history.length, 50);
  });

  it('checks every target at its interval', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const seen: string[] = [];
      const m = new Monitor(
        [
          { ...base, name: 'fast', interval: 1000 },
          { ...base, name: 'slow', interval: 5000 },
        ],
        { logger: new Logger({ stdout: false, files: false, sink: null }), alerter: null, probe: async (c) => (seen.push(c.name), { ok: true, detail: '', ms: 0 }) },
      );
      m.start();
      const settle = async () => {
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      };
      mock.timers.tick(0);
      await settle();
      for (let i = 0; i < 10; i++) {
        mock.timers.tick(1000);
        await settle();
      }
      m.stop();
      assert.equal(seen.filter((x) => x === 'fast').length, 11);
      assert.equal(seen.filter((x) => x === 'slow').length, 3);
    } finally {
      mock.timers.reset();
    }
  });
});
