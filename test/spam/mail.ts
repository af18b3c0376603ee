// Test-only builders of raw Japanese mail: ISO-2022-JP, Shift_JIS and EUC-JP bytes, RFC 2047 headers.
import iconv from 'iconv-lite';

/** Unicode → ISO-2022-JP bytes (JIS X 0208 via EUC-JP, ASCII otherwise). */
export function toIso2022jp(s: string): Buffer {
  const out: number[] = [];
  let kanji = false;
  for (const ch of s) {
    if (ch.charCodeAt(0) < 0x80) {
      if (kanji) out.push(0x1b, 0x28, 0x42);
      kanji = false;
      out.push(ch.charCodeAt(0));
      continue;
    }
    const e = iconv.encode(ch, 'euc-jp');
    if (e.length !== 2) continue;
    if (!kanji) out.push(0x1b, 0x24, 0x42);
    kanji = true;
    out.push(e[0] & 0x7f, e[1] & 0x7f);
  }
  if (kanji) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}

export function encodedWord(s: string, charset: 'ISO-2022-JP' | 'UTF-8' | 'Shift_JIS'): string {
  const bytes = charset === 'ISO-2022-JP' ? toIso2022jp(s) : charset === 'UTF-8' ? Buffer.from(s, 'utf8') : iconv.encode(s, 'cp932');
  return `=?${charset}?B?${bytes.toString('base64')}?=`;
}

export function rawMail(opts: { from?: string; to?: string; subject: string; headers?: string[]; contentType?: string; cte?: string; body: Buffer | string }): Buffer {
  const head = [
    `From: ${opts.from ?? 'Sender <sender@good.test>'}`,
    `To: ${opts.to ?? 'user@tegami.test'}`,
    `Subject: ${opts.subject}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@good.test>`,
    'Date: Fri, 27 Nov 2026 10:00:00 +0900',
    'MIME-Version: 1.0',
    `Content-Type: ${opts.contentType ?? 'text/plain; charset=UTF-8'}`,
    `Content-Transfer-Encoding: ${opts.cte ?? '8bit'}`,
    ...(opts.headers ?? []),
  ].join('\r\n');
  const body = typeof opts.body === 'string' ? Buffer.from(opts.body, 'utf8') : opts.body;
  return Buffer.concat([Buffer.from(head + '\r\n\r\n', 'utf8'), body]);
}

export const BUSINESS_JA =
  'いつもお世話になっております。株式会社サンプルの山田です。\r\n来週の打ち合わせの件でご連絡いたしました。\r\n広告代理店との契約書について、ご承諾いただけますでしょうか。\r\n資料を添付いたしますので、ご確認のほどよろしくお願いいたします。\r\n';

export const SPAM_JA = '未承諾広告※\r\n今だけ！簡単に月収100万円を稼ぐ方法をお教えします。\r\n今すぐクリック http://cheap.spam.test/ja\r\n';
