// Japanese test messages for JMAP reading: one per charset and per way of naming an attachment, each with
// what a reader must see (subject, sender name, text, file name). Built from Unicode with iconv-lite and the
// ISO-2022-JP encoder of test/spam/mail.ts, so the expected text is never typed twice.
import iconv from 'iconv-lite';
import { encodedWord, toIso2022jp } from '../spam/mail.js';

export interface JaCase {
  label: string;
  raw: Buffer;
  subject: string;
  fromName: string;
  text: string;
  attachment?: string;
}

const TEXT = '来週の打ち合わせの件でご連絡いたしました。\n資料を添付いたします。';
const crlf = (s: string) => s.replace(/\n/g, '\r\n');
const b64 = (b: Buffer) => (b.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

function mail(headers: string[], body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(headers.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

function withAttachment(boundary: string, textPart: Buffer, attHeader: string): Buffer {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\n`),
    textPart,
    Buffer.from(`\r\n--${boundary}\r\n${attHeader}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(Buffer.from('%PDF-1.4 test'))}\r\n--${boundary}--\r\n`, 'latin1'),
  ]);
}

export function japaneseCases(): JaCase[] {
  const cases: JaCase[] = [];
  // 1. ISO-2022-JP everywhere, the attachment named with an RFC 2047 word inside quotes (what Japanese mailers do)
  {
    const subject = '【至急】打ち合わせの件';
    const name = '見積書.pdf';
    const text = Buffer.concat([Buffer.from('Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n'), toIso2022jp(crlf(TEXT))]);
    cases.push({
      label: 'ISO-2022-JP, RFC 2047 file name',
      raw: mail(
        [`From: ${encodedWord('山田太郎', 'ISO-2022-JP')} <yamada@example.org>`, `Subject: ${encodedWord(subject, 'ISO-2022-JP')}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="jis"'],
        withAttachment('jis', text, `Content-Type: application/pdf; name="${encodedWord(name, 'ISO-2022-JP')}"\r\nContent-Disposition: attachment; filename="${encodedWord(name, 'ISO-2022-JP')}"`),
      ),
      subject, fromName: '山田太郎', text: TEXT, attachment: name,
    });
  }
  // 2. Shift_JIS body in base64, Shift_JIS subject, RFC 2231 file name in Shift_JIS
  {
    const subject = '請求書送付のご案内';
    const name = '請求書_2025年7月.pdf';
    const sjisName = [...iconv.encode(name, 'cp932')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const text = Buffer.from(`Content-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(iconv.encode(crlf(TEXT), 'cp932'))}`, 'latin1');
    cases.push({
      label: 'Shift_JIS, RFC 2231 Shift_JIS file name',
      raw: mail(
        [`From: ${encodedWord('佐藤花子', 'Shift_JIS')} <sato@example.org>`, `Subject: ${encodedWord(subject, 'Shift_JIS')}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="sjis"'],
        withAttachment('sjis', text, `Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=Shift_JIS''${sjisName}`),
      ),
      subject, fromName: '佐藤花子', text: TEXT, attachment: name,
    });
  }
  // 3. EUC-JP body as 8bit, the subject as raw EUC-JP header bytes (no encoded word), RFC 2231 continuations in UTF-8
  {
    const subject = '会議室の予約について';
    const name = 'とても長い名前の添付ファイル_議事録_第三回.docx';
    const enc = [...Buffer.from(name, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    const cut = enc.lastIndexOf('%', Math.floor(enc.length / 2));
    const text = Buffer.concat([Buffer.from('Content-Type: text/plain; charset=EUC-JP\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'), iconv.encode(crlf(TEXT), 'euc-jp')]);
    cases.push({
      label: 'EUC-JP, raw 8-bit subject, RFC 2231 continuations',
      raw: mail(
        ['From: "Suzuki" <suzuki@example.org>', `Subject: ${iconv.encode(subject, 'euc-jp').toString('latin1')}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="euc"'],
        withAttachment('euc', text, `Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0*=UTF-8''${enc.slice(0, cut)};\r\n filename*1*=${enc.slice(cut)}`),
      ),
      subject, fromName: 'Suzuki', text: TEXT, attachment: name,
    });
  }
  // 4. UTF-8, quoted-printable, UTF-8 RFC 2231 file name
  {
    const subject = 'お見積りのお願い（再送）';
    const name = '仕様書 v2.xlsx';
    const lines = TEXT.split('\n').map((l) => {
      const tokens = [...Buffer.from(l, 'utf8')].map((b) => (b >= 0x80 || b === 0x3d ? `=${b.toString(16).toUpperCase()}` : String.fromCharCode(b)));
      const out: string[] = [];
      let cur = '';
      for (const t of tokens) {
        if (cur.length + t.length > 72) {
          out.push(cur + '=');
          cur = '';
        }
        cur += t;
      }
      return [...out, cur].join('\r\n');
    });
    const text = Buffer.from(`Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${lines.join('\r\n')}`, 'latin1');
    cases.push({
      label: 'UTF-8 quoted-printable, RFC 2231 UTF-8 file name',
      raw: mail(
        [`From: ${encodedWord('高橋一郎', 'UTF-8')} <takahashi@example.org>`, `Subject: ${encodedWord(subject, 'UTF-8')}`, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="u8"'],
        withAttachment('u8', text, `Content-Type: application/vnd.ms-excel\r\nContent-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(name)}`),
      ),
      subject, fromName: '高橋一郎', text: TEXT, attachment: name,
    });
  }
  // 5. Shift_JIS labelled iso-8859-1 (the classic mislabel), single part
  {
    const subject = 'ご請求の件';
    cases.push({
      label: 'Shift_JIS mislabelled as ISO-8859-1',
      raw: mail(
        ['From: tanaka@example.org', `Subject: ${encodedWord(subject, 'ISO-2022-JP')}`, 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=iso-8859-1', 'Content-Transfer-Encoding: 8bit'],
        iconv.encode(crlf(TEXT), 'cp932'),
      ),
      subject, fromName: '', text: TEXT,
    });
  }
  // 6. no charset at all, EUC-JP bytes
  {
    const subject = '件名なし';
    cases.push({
      label: 'unlabelled EUC-JP',
      raw: mail(['From: kato@example.org', `Subject: ${encodedWord(subject, 'UTF-8')}`, 'MIME-Version: 1.0', 'Content-Type: text/plain', 'Content-Transfer-Encoding: 8bit'], iconv.encode(crlf(TEXT), 'euc-jp')),
      subject, fromName: '', text: TEXT,
    });
  }
  return cases;
}
