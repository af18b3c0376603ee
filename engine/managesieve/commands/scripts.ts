// The script commands of ManageSieve (RFC 5804 §2.6–2.13) on the logged-in user's scripts: HAVESPACE, PUTSCRIPT
// and CHECKSCRIPT (syntax checked, errors with line and column; never activated by an upload), LISTSCRIPTS,
// SETACTIVE, GETSCRIPT, DELETESCRIPT (never the active one) and RENAMESCRIPT. Quotas: [sieve] max_scripts and
// max_script_size. The checks are the CLI's (engine/rules/script-ops.ts).
import { checkScript, describeErrors, putScript } from '../../rules/script-ops.js';
import { scriptNameProblem } from '../../rules/store.js';
import { no, ok, sieveString, type CommandDef } from '../command.js';

const name = { name: 'name', type: 'string' } as const;

export const havespace: CommandDef = {
  name: 'HAVESPACE',
  states: ['auth'],
  args: [name, { name: 'size', type: 'number' }],
  async handle(s, a) {
    const bad = scriptNameProblem(a.name as string);
    if (bad) return no(bad);
    const { max_script_size: maxSize, max_scripts: maxScripts } = s.config.sieve;
    if ((a.size as number) > maxSize) return no(`Scripts are at most ${maxSize} octets`, 'QUOTA/MAXSIZE');
    const store = s.shared.store;
    if (!store.getScript(s.owner, a.name as string) && store.listScripts(s.owner).length >= maxScripts) return no(`At most ${maxScripts} scripts`, 'QUOTA/MAXSCRIPTS');
    return ok('Putscript would succeed');
  },
};

export const putscript: CommandDef = {
  name: 'PUTSCRIPT',
  states: ['auth'],
  args: [name, { name: 'script', type: 'string' }],
  async handle(s, a) {
    const r = putScript(s.config, s.shared.store, s.owner, a.name as string, a.script as string);
    if (r.ok) {
      s.log('putscript', { script: a.name });
      return ok('Stored');
    }
    if (r.kind === 'syntax') return no(describeErrors(r.errors).join('\r\n'));
    if (r.kind === 'too-big') return no(r.text, 'QUOTA/MAXSIZE');
    if (r.kind === 'too-many') return no(r.text, 'QUOTA/MAXSCRIPTS');
    return no(r.text);
  },
};

export const checkscript: CommandDef = {
  name: 'CHECKSCRIPT',
  states: ['auth'],
  args: [{ name: 'script', type: 'string' }],
  async handle(s, a) {
    const r = checkScript(s.config, a.script as string);
    if (r.ok) return ok('Script is valid');
    if (r.kind === 'syntax') return no(describeErrors(r.errors).join('\r\n'));
    return no(r.text, 'QUOTA/MAXSIZE');
  },
};

export const listscripts: CommandDef = {
  name: 'LISTSCRIPTS',
  states: ['auth'],
  args: [],
  async handle(s) {
    const lines = s.shared.store.listScripts(s.owner).map((x) => `${sieveString(x.name)}${x.active ? ' ACTIVE' : ''}\r\n`);
    s.write(lines.join(''));
    return ok('Listscripts completed');
  },
};

export const setactive: CommandDef = {
  name: 'SETACTIVE',
  states: ['auth'],
  args: [name],
  async handle(s, a) {
    const n = a.name as string;
    if (!s.shared.store.setActive(s.owner, n === '' ? null : n)) return no(`There is no script "${n}"`, 'NONEXISTENT');
    s.log('setactive', { script: n });
    return ok(n === '' ? 'No script is active now' : 'Active');
  },
};

export const getscript: CommandDef = {
  name: 'GETSCRIPT',
  states: ['auth'],
  args: [name],
  async handle(s, a) {
    const x = s.shared.store.getScript(s.owner, a.name as string);
    if (!x) return no(`There is no script "${a.name as string}"`, 'NONEXISTENT');
    const bytes = Buffer.from(x.text, 'utf8');
    s.write(`{${bytes.length}}\r\n`);
    s.write(x.text + '\r\n');
    return ok('Getscript completed');
  },
};

export const deletescript: CommandDef = {
  name: 'DELETESCRIPT',
  states: ['auth'],
  args: [name],
  async handle(s, a) {
    const r = s.shared.store.deleteScript(s.owner, a.name as string);
    if (r === 'missing') return no(`There is no script "${a.name as string}"`, 'NONEXISTENT');
    if (r === 'active') return no('The active script cannot be deleted: SETACTIVE "" first', 'ACTIVE');
    s.log('deletescript', { script: a.name });
    return ok('Deleted');
  },
};

export const renamescript: CommandDef = {
  name: 'RENAMESCRIPT',
  states: ['auth'],
  args: [
    { name: 'old', type: 'string' },
    { name: 'new', type: 'string' },
  ],
  async handle(s, a) {
    const bad = scriptNameProblem(a.new as string);
    if (bad) return no(bad);
    const r = s.shared.store.renameScript(s.owner, a.old as string, a.new as string);
    if (r === 'missing') return no(`There is no script "${a.old as string}"`, 'NONEXISTENT');
    if (r === 'exists') return no(`A script "${a.new as string}" exists already`, 'ALREADYEXISTS');
    return ok('Renamed');
  },
};
