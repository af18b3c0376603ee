// Finds the line of a key path in TOML text, so configuration and scenario errors can name file, line and key.
// Works on the text as written (table headers, [[array]] tables, dotted and inline keys); it never parses values.

/** Line of the key at `keyPath` (["load", 1, "size"]) in the TOML text, found by walking table headers. */
export function locateKey(text: string, keyPath: Array<string | number>): number | undefined {
  // [..., "load", 1]: the whole second [[load]] table (an object-level rule failed)
  const lastIdx = keyPath[keyPath.length - 1];
  if (typeof lastIdx === 'number' && keyPath.length >= 2) {
    const name = keyPath.slice(0, -1).filter((k) => typeof k === 'string').join('.');
    let seen = -1;
    const lines = text.split(/\r?\n/);
    for (let ln = 0; ln < lines.length; ln++) {
      const h = /^\s*\[\[\s*([^\]]+?)\s*\]\]/.exec(lines[ln]);
      if (h && h[1].replace(/\s+/g, '') === name && ++seen === lastIdx) return ln + 1;
    }
  }
  const p = [...keyPath];
  while (p.length && typeof p[p.length - 1] === 'number') p.pop(); // an element of an array value: name the array
  if (!p.length) return undefined;
  const leaf = String(p.pop());
  const table: string[] = [];
  let occ = -1;
  for (const k of p) {
    if (typeof k === 'number') occ = k;
    else {
      table.push(k);
      occ = -1;
    }
  }
  const want = table.join('.');
  const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const keyRe = new RegExp(`^"?${esc(leaf)}"?\\s*=`);
  const lines = text.split(/\r?\n/);
  let current = '';
  let seen = -1;
  let headerLine: number | undefined;
  let parentLine: number | undefined;
  // the key is itself a table ([smtpp], an unknown section): its header line
  const self = [...table, leaf].join('.');
  let selfLine: number | undefined;
  const parentRe = table.length ? new RegExp(`^"?${esc(table[table.length - 1])}"?\\s*=`) : undefined;
  for (let ln = 0; ln < lines.length; ln++) {
    const l = lines[ln].trim();
    const h = /^\[\[?\s*([^\]]+?)\s*\]\]?/.exec(l);
    if (h) {
      current = h[1].replace(/\s+/g, '');
      if (selfLine === undefined && occ < 0 && current === self) selfLine = ln + 1;
      if (current === want) {
        seen++;
        if (headerLine === undefined && (occ < 0 || seen === occ)) headerLine = ln + 1;
      }
      continue;
    }
    if (current === want && (occ < 0 || seen === occ) && keyRe.test(l)) return ln + 1;
    if (parentRe && parentLine === undefined && parentRe.test(l)) parentLine = ln + 1;
  }
  return selfLine ?? headerLine ?? parentLine;
}

/** An error in a TOML file, naming the file, the line and the key: "file:12: relay.mode: reason". */
export class LocatedError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly key: string | undefined,
    readonly reason: string,
  ) {
    super(`${file}${line ? `:${line}` : ''}: ${key ? `${key}: ` : ''}${reason}`);
  }
}
