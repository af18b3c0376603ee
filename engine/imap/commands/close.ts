// CLOSE (RFC 3501 §6.4.2): silently expunges \Deleted mail (read-write only) and leaves the selected state.
import { SELECTED, ok, type CommandDef } from '../command.js';

export const close: CommandDef = {
  names: ['CLOSE'],
  states: SELECTED,
  args: [],
  async handle(s) {
    const view = s.selected!;
    if (!view.readOnly) {
      const deleted = (await view.store.list(view.owner, view.folder)).filter((m) => view.seqOf(m.uid) && m.flags.includes('\\Deleted')).map((m) => m.uid);
      if (deleted.length) await view.store.expunge(view.owner, view.folder, deleted);
    }
    s.unselect();
    return ok('CLOSE completed');
  },
};
