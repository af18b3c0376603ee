// tegami vacation set ADDRESS [FILE] [--subject S] [--from YYYY-MM-DD] [--until YYYY-MM-DD] [--days N]
// [--address A …] [--sender null|user] | vacation off ADDRESS | vacation show ADDRESS [--json] — the one vacation
// of a user (the same record JMAP's VacationResponse and the webmail show). The text comes from FILE, or from
// stdin when FILE is absent or "-". Dates are days in this machine's zone, --until inclusive.
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, failWith, out, readTextArg } from '../common.js';
import { SqliteRulesStore } from '../../rules/sqlite-store.js';
import { checkVacation, dayBoundary, dayOf, vacationActive } from '../../rules/vacation-settings.js';

const fail = failWith('vacation');

export async function vacation(args: Args): Promise<number> {
  const [sub, address, file] = args.positional;
  if (!sub || !['set', 'off', 'show'].includes(sub)) throw new UsageError('vacation set ADDRESS [FILE] | off ADDRESS | show ADDRESS');
  if (!address) throw new UsageError(`vacation ${sub} ADDRESS`);
  const day = (name: 'from' | 'until'): number | null => {
    const v = flag(args, name);
    if (v === undefined) return null;
    const ms = dayBoundary(v, name === 'from' ? 'start' : 'end');
    if (ms === null) throw new UsageError(`--${name} ${v}: expected a date YYYY-MM-DD`);
    return ms;
  };
  const from = day('from');
  const until = day('until');
  const daysText = flag(args, 'days');
  if (daysText !== undefined && !/^\d{1,3}$/.test(daysText)) throw new UsageError(`--days ${daysText}: expected a number of days (1-365)`);
  const sender = flag(args, 'sender');
  if (sender !== undefined && sender !== 'null' && sender !== 'user') throw new UsageError(`--sender ${sender}: expected null or user`);
  const ctx = await contextFrom(args);
  try {
    const user = ctx.directory.user(address);
    if (!user) return fail(`no user ${address}`);
    const store = new SqliteRulesStore(ctx.db);
    switch (sub) {
      case 'set': {
        const text = (await readTextArg(file)).replace(/\r?\n$/, '');
        const v = checkVacation({
          enabled: true,
          subject: flag(args, 'subject') ?? null,
          text,
          html: null,
          from,
          until,
          days: daysText === undefined ? null : Number(daysText),
          addresses: args.multi.get('address') ?? [],
          sender: sender ?? null,
        });
        if (!v.ok) return fail(v.errors.join('; '));
        store.setVacation(user.address, v.value);
        const now = Date.now();
        const note = v.value.until !== null && v.value.until <= now ? ' (its end date has passed: it will not answer)' : v.value.from !== null && v.value.from > now ? ` (answers from ${dayOf(v.value.from)})` : '';
        out(`vacation on for ${user.address}${note}`);
        return 0;
      }
      case 'off':
        if (!store.disableVacation(user.address)) out(`no vacation set for ${user.address}`);
        else out(`vacation off for ${user.address}`);
        return 0;
      default: {
        const v = store.getVacation(user.address);
        if (args.flags.has('json')) {
          out(JSON.stringify(v ? { ...v, answering: vacationActive(v, Date.now()), from: v.from && new Date(v.from).toISOString(), until: v.until && new Date(v.until).toISOString(), updated: new Date(v.updated).toISOString() } : null));
          return 0;
        }
        if (!v) {
          out(`no vacation set for ${user.address}`);
          return 0;
        }
        out(`vacation for ${user.address}: ${v.enabled ? 'on' : 'off'}${v.enabled && !vacationActive(v, Date.now()) ? ' (outside its dates: not answering now)' : ''}`);
        if (v.from !== null) out(`from:    ${dayOf(v.from)}`);
        if (v.until !== null) out(`until:   ${dayOf(v.until - 1)}`);
        out(`subject: ${v.subject ?? '(Auto: the original subject)'}`);
        out(`period:  ${v.days !== null ? `${v.days} day(s)` : `default ([sieve] vacation_default_period)`}`);
        if (v.addresses.length) out(`also for: ${v.addresses.join(', ')}`);
        out('');
        out(v.text);
        return 0;
      }
    }
  } finally {
    await ctx.close();
  }
}
