# A real client we did not write: Python's imaplib against tegami's IMAP server.
# usage: imaplib-client.py MODE HOST PORT USER PASSWORD   (MODE: plain | starttls | ssl)
# Prints one "ok <step>" line per check; exits non-zero on the first failure.
import base64
import imaplib, ssl, sys, time, socket

mode, host, port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

def connect():
    if mode == 'ssl':
        return imaplib.IMAP4_SSL(host, port, ssl_context=ctx, timeout=30)
    m = imaplib.IMAP4(host, port, timeout=30)
    if mode == 'starttls':
        assert 'STARTTLS' in m.capabilities, m.capabilities
        m.starttls(ssl_context=ctx)
        assert 'STARTTLS' not in m.capabilities
    return m

def check(cond, step):
    if not cond:
        print('FAIL', step, flush=True)
        sys.exit(1)
    print('ok', step, flush=True)

m = connect()
typ, _ = m.login(user, password)
check(typ == 'OK', 'login')

subject = '=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?= ' + mode
body = '本文は日本語です'.encode('shift_jis')
msg = (b'From: sender@example.test\r\nTo: ' + user.encode() + b'\r\nSubject: ' + subject.encode() +
       b'\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: 8bit\r\n\r\n' + body + b'\r\n')
typ, data = m.append('INBOX', '(\\Flagged)', imaplib.Time2Internaldate(time.time()), msg)
check(typ == 'OK' and b'APPENDUID' in data[0], 'append literal')

typ, data = m.select('INBOX')
check(typ == 'OK' and int(data[0]) >= 1, 'select')
n = int(data[0])

typ, data = m.fetch(str(n), '(RFC822 FLAGS)')
check(typ == 'OK' and data[0][1] == msg, 'fetch rfc822 byte-exact')
check(isinstance(data[1], bytes) and b'\\Seen' in data[1] and b'\\Flagged' in data[1], 'fetch sets \\Seen')

typ, data = m.fetch(str(n), '(BODYSTRUCTURE ENVELOPE)')
check(typ == 'OK' and b'"SHIFT_JIS"' in data[0].upper() and b'"8BIT"' in data[0], 'bodystructure')

m.literal = '日本語'.encode('utf-8')
typ, data = m.search('UTF-8', 'SUBJECT')
check(typ == 'OK' and str(n).encode() in data[0].split(), 'search japanese subject (iso-2022-jp)')
m.literal = '日本語です'.encode('utf-8')
typ, data = m.search('UTF-8', 'BODY')
check(typ == 'OK' and str(n).encode() in data[0].split(), 'search japanese body (shift_jis)')

# Japanese clients send the search string in their own charset (SEARCH CHARSET ISO-2022-JP / Shift_JIS / EUC-JP)
for cs, codec in (('ISO-2022-JP', 'iso2022_jp'), ('SHIFT_JIS', 'shift_jis'), ('EUC-JP', 'euc_jp')):
    m.literal = '日本語です'.encode(codec)
    typ, data = m.search(cs, 'BODY')
    check(typ == 'OK' and str(n).encode() in data[0].split(), 'search charset ' + cs)
    m.literal = '存在しない語'.encode(codec)
    typ, data = m.search(cs, 'BODY')
    check(typ == 'OK' and data[0].split() == [], 'search charset ' + cs + ' without a match')
typ, data = m.search('X-NO-SUCH-CHARSET', 'ALL')
check(typ == 'NO' and b'[BADCHARSET' in data[0], 'unknown charset refused with BADCHARSET')

# a subject whose UTF-8 character is split across two encoded words (RFC 2047 allows splitting only at characters,
# some mailers split bytes anyway): the words are joined as bytes before decoding
word = '会議の件'.encode('utf-8')
split_subject = ('=?UTF-8?B?' + base64.b64encode(word[:4]).decode() + '?= =?UTF-8?B?' + base64.b64encode(word[4:]).decode() + '?=').encode()
msg2 = b'From: sender@example.test\r\nTo: ' + user.encode() + b'\r\nSubject: ' + split_subject + b'\r\n\r\nbody\r\n'
typ, data = m.append('INBOX', None, None, msg2)
check(typ == 'OK', 'append split subject')
typ, data = m.select('INBOX')
n2 = int(data[0])
m.literal = '会議'.encode('utf-8')
typ, data = m.search('UTF-8', 'SUBJECT')
check(typ == 'OK' and str(n2).encode() in data[0].split(), 'search subject split across encoded words')

typ, data = m.store(str(n), '+FLAGS', '(\\Answered)')
check(typ == 'OK' and b'\\Answered' in data[0], 'store')

typ, data = m.copy(str(n), 'Trash')
check(typ == 'OK', 'copy')
typ, data = m.uid('SEARCH', None, 'ALL')
uid = data[0].split()[-1].decode()
typ, data = m.uid('MOVE', uid, 'Drafts')
check(typ == 'OK', 'uid move')

typ, data = m.select('Trash')
typ, data = m.store('1:*', '+FLAGS', '(\\Deleted)')
typ, data = m.expunge()
check(typ == 'OK' and len([d for d in data if d]) >= 1, 'expunge')

# IDLE: a second connection appends; the idling one hears EXISTS (pushed: IDLE has no polling to fall back on,
# so without the push nothing would come before the timeout; how soon is printed, not judged)
m.select('INBOX')
tag = m._new_tag()
m.send(tag + b' IDLE\r\n')
line = m.readline()
check(line.startswith(b'+'), 'idle continuation')
other = connect()
other.login(user, password)
t0 = time.time()
other.append('INBOX', None, None, b'From: x@example.test\r\nSubject: idle test\r\n\r\nhi\r\n')
m.sock.settimeout(30)
line = m.readline()
check(line.endswith(b'EXISTS\r\n'), 'idle sees new mail (after %.3fs)' % (time.time() - t0))
m.send(b'DONE\r\n')
while True:
    line = m.readline()
    if line.startswith(tag):
        check(b'OK' in line, 'idle done')
        break
# a second session sees the first one's flag change and EXPUNGE as untagged responses
typ, data = other.select('INBOX')
count = int(data[0])
m.store(str(count), '+FLAGS', '(\\Deleted)')
other.noop()
typ, fetched = other.response('FETCH')
check(fetched[0] is not None and b'\\Deleted' in fetched[0], 'second session sees flags')
m.expunge()
other.noop()
typ, expunged = other.response('EXPUNGE')
check(expunged[0] == str(count).encode(), 'second session sees EXPUNGE')
other.logout()
m.logout()
print('done', flush=True)
