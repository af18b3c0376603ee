// Generates Japanese ham and spam as raw RFC 5322 messages in ISO-2022-JP, Shift_JIS, EUC-JP and UTF-8
// (RFC 2047 subjects, 未承諾広告※ ad subjects as Japanese law marks unsolicited ads, deceptive links whose
// text shows one host and whose href goes to another). Deterministic from a seed; only example domains.
import iconv from 'iconv-lite';
import { seeded } from './seeded.js';

export type JpCharset = 'ISO-2022-JP' | 'Shift_JIS' | 'EUC-JP' | 'UTF-8';
export const JP_CHARSETS: JpCharset[] = ['ISO-2022-JP', 'Shift_JIS', 'EUC-JP', 'UTF-8'];

export interface JapaneseMessage {
  id: string;
  group: 'japanese';
  label: 'spam' | 'ham';
  charset: JpCharset;
  /** What a correct decoder must get back. */
  subject: string;
  text: string;
  raw: Buffer;
}

/** ISO-2022-JP (RFC 1468): ASCII and JIS X 0208 only, switched with ESC ( B and ESC $ B; always ends in ASCII. */
export function encodeIso2022jp(s: string): Buffer {
  const out: number[] = [];
  let jis = false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      if (jis) out.push(0x1b, 0x28, 0x42);
      jis = false;
      out.push(cp);
      continue;
    }
    const e = iconv.encode(ch, 'euc-jp');
    if (e.length !== 2 || e[0] < 0xa1 || e[1] < 0xa1) throw new Error(`not in JIS X 0208: ${ch} (U+${cp.toString(16)})`);
    if (!jis) out.push(0x1b, 0x24, 0x42);
    jis = true;
    out.push(e[0] & 0x7f, e[1] & 0x7f);
  }
  if (jis) out.push(0x1b, 0x28, 0x42);
  return Buffer.from(out);
}

export function encodeCharset(s: string, cs: JpCharset): Buffer {
  if (cs === 'ISO-2022-JP') return encodeIso2022jp(s);
  if (cs === 'UTF-8') return Buffer.from(s, 'utf8');
  return iconv.encode(s, cs === 'Shift_JIS' ? 'shift_jis' : 'euc-jp');
}

/** RFC 2047 "B" encoded-words, split on character boundaries so each word stays under 75 characters. */
export function encodeWords(s: string, cs: JpCharset): string {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  const words: string[] = [];
  let cur = '';
  const word = (x: string) => `=?${cs}?B?${encodeCharset(x, cs).toString('base64')}?=`;
  for (const ch of s) {
    if (word(cur + ch).length > 74) {
      words.push(word(cur));
      cur = '';
    }
    cur += ch;
  }
  if (cur) words.push(word(cur));
  return words.join('\r\n ');
}


const HAM = [
  { s: '会議の議事録を送付します', b: ['お疲れさまです。本日の定例会議の議事録を送付いたします。', 'ご確認のほど、よろしくお願いいたします。', '次回は来週水曜日の十四時からです。'] },
  { s: '来週の打ち合わせ日程について', b: ['いつもお世話になっております。', '来週の打ち合わせですが、火曜日か木曜日の午後はいかがでしょうか。', 'ご都合をお知らせください。'] },
  { s: '請求書の送付について（十一月分）', b: ['平素は格別のご高配を賜り、厚く御礼申し上げます。', '十一月分の請求書を添付にてお送りいたします。', 'お支払い期限は月末となっております。'] },
  { s: 'プロジェクト進捗のご報告', b: ['進捗をご報告いたします。', '設計レビューは完了し、現在は実装の段階です。', '課題が二件ありますので、別途ご相談させてください。'] },
  { s: '忘年会のお知らせ', b: ['皆さま、今年も忘年会を開催します。', '日時：十二月二十日（金）十九時から', '場所：駅前の居酒屋「さくら」です。出欠を返信してください。'] },
];

const SPAM = [
  { s: '未承諾広告※ 今だけ！在宅で月収百万円のお仕事', b: ['誰でも簡単に稼げる副業をご紹介します！', '初期費用は一切かかりません。今すぐ下記から登録してください。'], link: true },
  { s: '未承諾広告※【当選】現金十万円プレゼント', b: ['おめでとうございます！あなたが当選しました。', '受け取り手続きは本日中に完了してください。'], link: true },
  { s: '未承諾広告※ 無料登録で素敵な出会いが見つかる', b: ['完全無料！今なら登録するだけでポイント進呈。', '秘密厳守、安心してご利用いただけます。'], link: false },
  { s: '【重要】お客様のアカウントが一時停止されました', b: ['お客様のアカウントで不審なログインを検知しました。', '二十四時間以内に本人確認を行わない場合、アカウントは削除されます。'], link: true },
  { s: '未承諾広告※ 話題のダイエットサプリが半額', b: ['飲むだけで一か月マイナス十キロ！', '在庫限りの特別価格です。お急ぎください。'], link: true },
];

const NAMES = ['山田 太郎', '佐藤 花子', '鈴木 一郎', '高橋 美咲', '田中 健太'];

function qpUtf8(text: Buffer): string {
  // base64 is the simplest correct transfer encoding for 8-bit charsets; lines of 76
  return text.toString('base64').replace(/.{1,76}/g, '$&\r\n');
}

export function japaneseCorpus(o: { count: number; seed?: number; spamRatio?: number; charsets?: JpCharset[] }): JapaneseMessage[] {
  const rand = seeded(o.seed ?? 20241127);
  const charsets = o.charsets ?? JP_CHARSETS;
  const out: JapaneseMessage[] = [];
  for (let i = 0; i < o.count; i++) {
    const cs = charsets[i % charsets.length];
    const isSpam = rand() < (o.spamRatio ?? 0.5);
    const tpl = isSpam ? SPAM[Math.floor(rand() * SPAM.length)] : HAM[Math.floor(rand() * HAM.length)];
    const name = NAMES[Math.floor(rand() * NAMES.length)];
    const lines = [...tpl.b];
    if (isSpam && 'link' in tpl && tpl.link) {
      lines.push('こちらから → https://www.bank.example.jp/login （公式サイト）');
      lines.push('http://bank-example-jp.verify.example.net/login?id=' + Math.floor(rand() * 1e6));
    }
    lines.push('', name);
    const text = lines.join('\n') + '\n';
    const id = `jp-${String(i).padStart(4, '0')}`;
    const from = isSpam ? `info${i}@promo.example.net` : `staff${i}@company.example.jp`;
    const transfer: '7bit' | '8bit' | 'base64' = cs === 'ISO-2022-JP' ? '7bit' : cs === 'UTF-8' || i % 2 === 0 ? 'base64' : '8bit';
    const part = (content: string, type: string): string => {
      const bytes = encodeCharset(content.replace(/\r?\n/g, '\r\n'), cs);
      const encoded = transfer === 'base64' ? qpUtf8(bytes) : bytes.toString('latin1');
      return `Content-Type: ${type}; charset=${cs}\r\nContent-Transfer-Encoding: ${transfer}\r\n\r\n${encoded}${encoded.endsWith('\r\n') ? '' : '\r\n'}`;
    };
    // phishing-style spam also gets an HTML part whose link text shows one host and whose href goes elsewhere
    const deceptive = isSpam && 'link' in tpl && tpl.link && Math.floor(i / charsets.length) % 2 === i % 2; // every charset gets some
    let mime: string;
    if (deceptive) {
      const boundary = `=_lab_${id}`;
      const html =
        `<html><body>${tpl.b.map((l) => `<p>${l}</p>`).join('')}` +
        `<p><a href="http://bank-example-jp.verify.example.net/login?id=${i}">https://www.bank.example.jp/login</a></p><p>${name}</p></body></html>`;
      mime =
        `Content-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n` +
        `--${boundary}\r\n${part(text, 'text/plain')}--${boundary}\r\n${part(html, 'text/html')}--${boundary}--\r\n`;
    } else mime = part(text, 'text/plain');
    const head = [
      `From: ${encodeWords(name, cs)} <${from}>`,
      'To: <alice@example.test>',
      `Subject: ${encodeWords(tpl.s, cs)}`,
      `Date: Wed, 27 Nov 2024 10:${String(i % 60).padStart(2, '0')}:00 +0900`,
      `Message-ID: <${id}.${isSpam ? 'spam' : 'ham'}@lab.example.test>`,
      'MIME-Version: 1.0',
      `X-Lab-Corpus-Id: ${id}`,
    ].join('\r\n');
    const raw = Buffer.from(`${head}\r\n${mime}`, 'latin1');
    out.push({ id, group: 'japanese', label: isSpam ? 'spam' : 'ham', charset: cs, subject: tpl.s, text, raw });
  }
  return out;
}
