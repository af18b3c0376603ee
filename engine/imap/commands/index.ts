// The command table: every command file, found by name ("FETCH", "UID FETCH"). Adding a command means adding
// its file here; the session never special-cases a command by name.
import type { CommandDef } from '../command.js';
import { append } from './append.js';
import { authenticate } from './authenticate.js';
import { capability } from './capability.js';
import { check } from './check.js';
import { close } from './close.js';
import { copy } from './copy.js';
import { create } from './create.js';
import { del } from './delete.js';
import { enable } from './enable.js';
import { examine } from './examine.js';
import { expunge } from './expunge.js';
import { fetch } from './fetch.js';
import { getquota } from './getquota.js';
import { getquotaroot } from './getquotaroot.js';
import { id } from './id.js';
import { idle } from './idle.js';
import { list } from './list.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { lsub } from './lsub.js';
import { move } from './move.js';
import { namespace } from './namespace.js';
import { noop } from './noop.js';
import { rename } from './rename.js';
import { search } from './search.js';
import { select } from './select.js';
import { setquota } from './setquota.js';
import { starttls } from './starttls.js';
import { status } from './status.js';
import { store } from './store.js';
import { subscribe } from './subscribe.js';
import { uidExpunge } from './uid-expunge.js';
import { unselect } from './unselect.js';
import { unsubscribe } from './unsubscribe.js';

const ALL: CommandDef[] = [
  append, authenticate, capability, check, close, copy, create, del, enable, examine, expunge, fetch, id, idle,
  list, login, logout, lsub, move, namespace, noop, rename, search, select, starttls, status, store, subscribe,
  uidExpunge, unselect, unsubscribe,
  getquota, getquotaroot, setquota,
];

export const commandTable = new Map<string, CommandDef>();
for (const def of ALL) for (const name of def.names) commandTable.set(name, def);
