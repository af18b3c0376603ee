// Test messages of a given size for load runs: RFC 5322 headers, a token header (X-Lab-Token) that lets a
// sink or a Maildir observer match deliveries to sends, and a plain-text body padded to the size.
// Built once per size; only the token differs between messages. Never contains real addresses.

export interface MessageTemplate {
  size: number;
  /** The message with CRLF line ends, ending in CRLF.CRLF (no line starts with a dot), for one token. */
  render(token: string, from: string, to: string): Buffer;
}

export function messageTemplate(size: number): MessageTemplate {
  const head = (from: string, to: string, token: string) =>
    `From: Lab Load <${from}>\r\nTo: <${to}>\r\nSubject: lab load message ${token}\r\n` +
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}\r\nMessage-ID: <${token}@lab.example.test>\r\n` +
    `X-Lab-Token: ${token}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog while the lab measures latency.\r\n';
  const body = line.repeat(Math.ceil((size + 200) / line.length));
  return {
    size,
    render(token, from, to) {
      const h = head(from, to, token);
      const want = Math.max(0, size - h.length - 5);
      return Buffer.from(h + body.slice(0, want).replace(/\r$/, '') + '\r\n.\r\n', 'latin1');
    },
  };
}
