// tegami dkim keygen DOMAIN [--selector S] [--key-type rsa|ed25519] [--bits N] [--force] [--non-local]: make a
// signing key under <data_dir>/dkim/ (on PostgreSQL: sealed in dkim_keys) and print the DNS TXT record to publish;
// `dkim show DOMAIN` prints it again. The private key is written with mode 0600 and never printed. Two flags, two
// meanings: --force writes over an existing key of the selector; --non-local makes a key for a domain that is not
// local (refused without it: such a key signs nothing).
import { flag, UsageError, type Args } from '../args.js';
import { contextFrom, out } from '../common.js';
import { txtRecord, zoneFileLine } from '../../outbound/dkim.js';
import { dkimKeysFor } from '../../outbound/dkim-keys.js';

export async function dkim(args: Args): Promise<number> {
  const [sub, domain] = args.positional;
  if ((sub !== 'keygen' && sub !== 'show') || !domain) throw new UsageError('dkim keygen DOMAIN [--selector S] [--key-type rsa|ed25519] [--bits N] [--force] [--non-local] | dkim show DOMAIN');
  const ctx = await contextFrom(args);
  try {
    // SQLite: files under data_dir/dkim/; PostgreSQL: sealed rows, committed when the command closes
    const keys = dkimKeysFor(ctx.config, ctx.backend === 'postgres' ? ctx.db : null);
    if (sub === 'show') {
      const key = keys.find(domain);
      if (!key) {
        process.stderr.write(`tegami dkim: no key for ${domain.toLowerCase()}\n`);
        return 1;
      }
      const rec = txtRecord(key.domain, key.selector, key.privateKey);
      printRecord(args, rec, key.selector);
      return 0;
    }
    // a key for a domain that is not ours signs nothing (only local senders' From domains are signed): usually a
    // typo or a domain not added yet, so refused unless --non-local says it is meant (a domain about to be added);
    // --force (write over an existing key) does not say that
    if (ctx.directory.localDomain(domain) === null) {
      const d = domain.toLowerCase();
      if (!args.flags.has('non-local')) {
        process.stderr.write(`tegami dkim: ${d} is not a local domain, so no mail would be signed with this key; add it first (tegami domain add ${d}), or give --non-local to make the key anyway\n`);
        return 1;
      }
      process.stderr.write(`tegami dkim: warning: ${d} is not a local domain; mail is signed only for local senders' From domains (tegami domain add ${d})\n`);
    }
    const type = flag(args, 'key-type') ?? 'rsa';
    if (type !== 'rsa' && type !== 'ed25519') throw new UsageError('--key-type rsa|ed25519');
    const bits = Number(flag(args, 'bits') ?? 2048);
    if (!Number.isInteger(bits) || bits < 1024 || bits > 4096) throw new UsageError('--bits between 1024 and 4096');
    const selector = flag(args, 'selector') ?? 'tegami';
    const r = keys.generate(domain, selector, { type, bits, force: args.flags.has('force') });
    if (!r.ok) {
      process.stderr.write(`tegami dkim: ${r.reason}\n`);
      return 1;
    }
    if (!args.flags.has('json')) out(`; key written to ${r.stored}; publish this record, then mail from ${domain.toLowerCase()} is signed with selector "${selector}"`);
    printRecord(args, r.record, selector, r.file);
    return 0;
  } finally {
    await ctx.close();
  }
}

function printRecord(args: Args, rec: { name: string; value: string }, selector: string, file?: string): void {
  if (args.flags.has('json')) out(JSON.stringify({ name: rec.name, type: 'TXT', value: rec.value, selector, ...(file ? { file } : {}) }));
  else out(zoneFileLine(rec));
}
