# A real client we did not write: Python's imaplib APPENDs a large message (default 20 MB, Japanese text in
# ISO-2022-JP, Shift_JIS and UTF-8 parts) and fetches it back whole, in part and by section, byte for byte.
# usage: imaplib-large.py HOST PORT USER PASSWORD [SIZE]
# Prints one "ok <step>" line per check; exits non-zero on the first failure.
import hashlib, imaplib, re, sys, time

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
size = int(sys.argv[5]) if len(sys.argv) > 5 else 20 * 1024 * 1024

def check(cond, step):
    if not cond:
        print('FAIL', step, flush=True)
        sys.exit(1)
    print('ok', step, flush=True)

boundary = b'=_tegami_large_'
head = (b'From: =?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= <sender@example.test>\r\nTo: ' + user.encode() +
        b'\r\nSubject: =?UTF-8?B?5aSn44GN44Gq44Oh44O844Or?=\r\nMIME-Version: 1.0\r\n'
        b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n')
text_part = ('本文は日本語です。大きな添付ファイル付き。\r\n'.encode('shift_jis'))
part1 = (b'--' + boundary + b'\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + text_part + b'\r\n')
part2_head = (b'--' + boundary + b'\r\nContent-Type: application/octet-stream; name="data.bin"\r\n'
              b'Content-Transfer-Encoding: base64\r\n\r\n')
tail = b'\r\n--' + boundary + b'--\r\n'
lines = []
n = len(head) + len(part1) + len(part2_head) + len(tail)
i = 0
while n < size:
    line = hashlib.sha512(b'%d' % i).hexdigest()[:76].encode() + b'\r\n'
    lines.append(line)
    n += len(line)
    i += 1
attachment = b''.join(lines)
msg = head + part1 + part2_head + attachment + tail

m = imaplib.IMAP4(host, port, timeout=120)
typ, _ = m.login(user, password)
check(typ == 'OK', 'login')

t0 = time.time()
typ, data = m.append('INBOX', '(\\Flagged)', imaplib.Time2Internaldate(time.time()), msg)
check(typ == 'OK' and b'APPENDUID' in data[0], 'append %d octets' % len(msg))
uid = re.search(rb'APPENDUID \d+ (\d+)', data[0]).group(1).decode()

typ, _ = m.select('INBOX')
check(typ == 'OK', 'select')

typ, data = m.uid('FETCH', uid, '(RFC822.SIZE BODY.PEEK[])')
check(typ == 'OK' and (b'RFC822.SIZE %d' % len(msg)) in data[0][0], 'rfc822.size')
check(data[0][1] == msg, 'fetch body.peek[] byte-exact')

typ, data = m.uid('FETCH', uid, '(BODY.PEEK[]<1000000.5000>)')
check(typ == 'OK' and data[0][1] == msg[1000000:1005000], 'fetch partial byte-exact')

typ, data = m.uid('FETCH', uid, '(BODY.PEEK[1] BODY.PEEK[2])')
bodies = [d[1] for d in data if isinstance(d, tuple)]
check(typ == 'OK' and bodies == [text_part, attachment], 'fetch parts byte-exact (Shift_JIS text, attachment)')

typ, data = m.uid('FETCH', uid, '(FLAGS)')
check(typ == 'OK' and b'\\Flagged' in data[0] and b'\\Seen' not in data[0], 'flags kept, peek does not set seen')

m.logout()
print('done', flush=True)
