// auth-abuse: a correct login works (control), forged senders after AUTH are refused, password guessing
// is slowed down or refused after the configured number of failures, and whether AUTH PLAIN is offered
// before TLS is reported. Needs credentials (--auth, or the lab-started tegami's user).
import { performance } from 'node:perf_hooks';
import { SmtpClient } from '../../smtp/client.js';
import type { RunContext, LabTarget } from '../context.js';

async function session(t: LabTarget): Promise<{ c: SmtpClient; ehlo: string }> {
  const c = await SmtpClient.connect(t.host, t.port, { timeoutMs: 15_000 });
  await c.reply();
  let e = await c.ehlo('auth-abuse.lab.example.test');
  const clear = e.text;
  if (/STARTTLS/i.test(e.text)) {
    const st = await c.startTls();
    if (st.code === 220) e = await c.ehlo('auth-abuse.lab.example.test');
  }
  return { c, ehlo: clear };
}

export async function authAbuse(ctx: RunContext): Promise<() => Promise<void>> {
  const s = ctx.scenario;
  return async () => {
    for (const t of ctx.targets) {
      const auth = ctx.authFor(t);
      ctx.say(`== ${t.name} (${t.host}:${t.port})`);
      if (!auth) {
        ctx.notes.push(`${t.name}: auth-abuse needs --auth user:password; skipped`);
        ctx.say('skipped: no credentials (--auth user:password)');
        continue;
      }
      // 1. control: the right password works
      {
        const { c, ehlo } = await session(t);
        const plainInClear = /AUTH[ =][^|]*\b(PLAIN|LOGIN)\b/i.test(ehlo);
        ctx.notes.push(`${t.name}: AUTH PLAIN/LOGIN offered before STARTTLS: ${plainInClear ? 'yes' : 'no'} (loopback clients may be exempt by design)`);
        ctx.say(`AUTH PLAIN/LOGIN offered before TLS: ${plainInClear ? 'yes' : 'no'}`);
        const r = await c.authPlain(auth.user, auth.password);
        ctx.check(`${t.name}: the right password logs in (control)`, r.code === 235, '235', `${r.code} ${r.text}`);
        // 2. forged senders after AUTH
        for (const forged of [`ceo@forged.lab.example.test`, `postmaster@${ctx.domain}`]) {
          const m = await c.cmd(`MAIL FROM:<${forged}>`);
          ctx.check(`${t.name}: MAIL FROM:<${forged}> after AUTH as ${auth.user} is refused`, m.code >= 500, '5xx', `${m.code} ${m.text}`);
          if (m.code < 400) await c.cmd('RSET');
        }
        const own = await c.cmd(`MAIL FROM:<${auth.user}>`);
        ctx.check(`${t.name}: MAIL FROM the user's own address is accepted (control)`, own.code === 250, '250', `${own.code} ${own.text}`);
        await c.quit();
      }
      // 3. password guessing from one client, one connection per guess
      const times: number[] = [];
      const codes: number[] = [];
      for (let i = 0; i < s.auth.guesses; i++) {
        ctx.progress(`${t.name}: guess ${i + 1}/${s.auth.guesses}`);
        const { c } = await session(t);
        const t0 = performance.now();
        const r = await c.authPlain(auth.user, `wrong-guess-${i}`);
        times.push(Math.round(performance.now() - t0));
        codes.push(r.code);
        c.close();
      }
      ctx.progressDone();
      ctx.say(`guesses: codes ${codes.join(',')}; reply times ${times.join(',')} ms`);
      ctx.check(`${t.name}: no wrong password is accepted`, !codes.includes(235), 'never 235', codes.join(','));
      const n = s.auth.throttle_after;
      if (s.auth.guesses > n) {
        const early = times.slice(0, Math.max(1, n));
        const late = times.slice(n);
        const lateCodes = codes.slice(n);
        // timing noise on a busy machine is a few hundred ms; a throttle worth the name adds more than that
        const lastSlower = late[late.length - 1] >= Math.max(...early) + 800;
        const refused = lateCodes.some((c) => c !== 535);
        ctx.check(
          `${t.name}: after ${n} failures, further guesses are slowed down or refused`,
          lastSlower || refused,
          `the last guess answered ≥ 800 ms later than the slowest of the first ${n}, or a refusal other than 535`,
          `first ${early.join(',')} ms; later ${late.join(',')} ms, codes ${lateCodes.join(',')}`,
        );
      }
    }
  };
}
