// SMTP replies as clients have always seen them from this server: the enhanced status code (RFC 2034/3463) for
// the reply code, or the one a reply text starts with ("5.7.1 Relaying denied"), none on 3xx, the greeting and
// HELO/EHLO; a multi-line reply carries it on every line; no control character ever reaches the wire.

const ENHANCED: Record<number, string> = {
  200: '2.0.0', 211: '2.0.0', 214: '2.0.0', 220: '2.0.0', 221: '2.0.0', 235: '2.7.0', 250: '2.0.0', 251: '2.1.5', 252: '2.1.5',
  420: '4.4.2', 421: '4.4.2', 450: '4.2.1', 451: '4.3.0', 452: '4.2.2', 454: '4.7.0',
  500: '5.5.2', 501: '5.5.4', 502: '5.5.1', 503: '5.5.1', 504: '5.5.4', 521: '5.3.2', 523: '5.3.4', 530: '5.7.0', 535: '5.7.8',
  538: '5.7.0', 550: '5.1.1', 551: '5.1.6', 552: '5.2.2', 553: '5.1.3', 554: '5.6.0', 555: '5.5.4', 556: '5.1.10', 557: '5.7.1', 558: '5.2.3',
};

/** The enhanced code a reply gets: `false` for none (greeting, HELO/EHLO), or a code of its own for its context. */
export type Enhanced = string | false | undefined;

export const MAIL_OK = '2.1.0';
export const RCPT_OK = '2.1.5';
export const DATA_OK = '2.6.0';
export const SENDER_SYNTAX = '5.1.7';
export const MAILBOX_SYNTAX = '5.1.3';

 
const CONTROL = /[\x00-\x1F\x7F-\x9F]/g;
const OWN_CODE = /^([245]\.\d{1,3}\.\d{1,3}) (.*)$/s;

function enhancedFor(code: number, context: Enhanced): string {
  if (context === false || (code >= 300 && code < 400)) return '';
  if (context) return context;
  return ENHANCED[code] ?? (code < 300 ? '2.0.0' : code < 500 ? '4.0.0' : '5.0.0');
}

/** One reply, with its CRLF. */
export function formatReply(code: number, text: string | string[], context?: Enhanced): string {
  let enhanced = enhancedFor(code, context);
  if (Array.isArray(text)) {
    const prefix = enhanced ? ` ${enhanced} ` : ' ';
    let out = '';
    for (let i = 0; i < text.length; i++) out += `${code}${i < text.length - 1 ? '-' : ' '}${prefix.slice(1)}${clean(text[i])}\r\n`;
    return out;
  }
  if (enhanced) {
    const own = OWN_CODE.exec(text);
    if (own && own[1][0] === String(code)[0]) {
      enhanced = own[1];
      text = own[2];
    }
  }
  let line = String(code);
  if (enhanced) line += ` ${enhanced}`;
  if (text) line += ` ${clean(text)}`;
  else if (code === 334) line += ' '; // RFC 4954 §4: an empty challenge is "334 "
  return `${line}\r\n`;
}

function clean(s: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(s) ? s.replace(CONTROL, ' ') : s;
}
