// State strings of the JMAP types: the account MODSEQ of the type's last change in the mailbox store, prefixed
// with the store's epoch (a rebuilt index is a new history, so old states cannot be mistaken for new ones), or a
// counter of the main database for Identity, EmailSubmission and VacationResponse. Pure.
import type { AccountState, StateKey } from '../../store/mailbox-store.js';

export function stateOf(st: AccountState, key: StateKey): string {
  return `${st.epoch}-${st.types[key]}`;
}

/** The MODSEQ a state string of this epoch names, or null (another history, or not a state of ours). */
export function modseqOf(state: string, st: AccountState): number | null {
  const m = /^([0-9a-z]{1,12})-(0|[1-9][0-9]{0,15})$/.exec(state);
  if (!m || m[1] !== st.epoch) return null;
  return Number(m[2]);
}

export const objectState = (n: number): string => `o${n}`;

export function objectModseq(state: string): number | null {
  const m = /^o(0|[1-9][0-9]{0,15})$/.exec(state);
  return m ? Number(m[1]) : null;
}
