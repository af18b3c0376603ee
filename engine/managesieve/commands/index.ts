// The ManageSieve command table: every command tegami answers, by name. The session looks commands up here
// only; a command not in this table is unknown.
import type { CommandDef } from '../command.js';
import { authenticate, capability, logout, noop, starttls, unauthenticate } from './session.js';
import { checkscript, deletescript, getscript, havespace, listscripts, putscript, renamescript, setactive } from './scripts.js';

const all: CommandDef[] = [authenticate, starttls, unauthenticate, logout, capability, noop, havespace, putscript, checkscript, listscripts, setactive, getscript, deletescript, renamescript];

export const commandTable = new Map<string, CommandDef>(all.map((c) => [c.name, c]));
