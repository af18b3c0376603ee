// Reading a V8 .heapsnapshot (node --heapsnapshot-signal) for bench:idle: self size and object count per
// constructor (objects by their class, closures, strings, arrays, compiled code, native buffers), so two
// snapshots can be subtracted to see what N sessions added. Pure function over parsed JSON.

export interface HeapTotals {
  total: number;
  byConstructor: Record<string, { count: number; bytes: number }>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export function heapByConstructor(snap: Snapshot): HeapTotals {
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const by: HeapTotals['byConstructor'] = {};
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + fType]];
    const name = snap.strings[snap.nodes[i + fName]] ?? '';
    const size = snap.nodes[i + fSize];
    if (!size) continue;
    let key: string;
    if (type === 'object') key = name.length > 60 ? `${name.slice(0, 57)}...` : name;
    else if (type === 'closure') key = `(closure ${name || 'anonymous'})`;
    else if (type === 'native' || type === 'hidden' || type === 'array' || type === 'object shape') key = `(${type} ${name.slice(0, 40)})`;
    else key = `(${type})`;
    const e = (by[key] ??= { count: 0, bytes: 0 });
    e.count++;
    e.bytes += size;
    total += size;
  }
  return { total, byConstructor: by };
}
