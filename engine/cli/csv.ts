// RFC 4180 CSV, enough for account imports and exports (quoted fields, doubled quotes, CRLF). Unquoted
// fields are trimmed on reading; a field that must keep outer spaces is written quoted.
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  /** The field was quoted: its text is kept as it is (only what follows the closing quote is dropped). */
  let wasQuoted = false;
  const endField = () => {
    row.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '' && !wasQuoted) { quoted = true; wasQuoted = true; field = ''; }
    else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endField(); rows.push(row); row = [];
    } else if (!wasQuoted) field += c;
  }
  if (field !== '' || wasQuoted || row.length) { endField(); rows.push(row); }
  return rows;
}

/** One RFC 4180 line (CRLF): a field with a comma, quote, line break or outer space is quoted, quotes doubled. */
export function csvLine(fields: readonly string[]): string {
  return fields.map((f) => (/[",\r\n]|^\s|\s$/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',') + '\r\n';
}
