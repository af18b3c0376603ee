# Python's imaplib and email package as the reader of what tegami delivered (clients we did not write).
# usage: imap-fetch.py HOST PORT USER PASSWORD  -> one JSON line per INBOX message: subject, From display name,
#        the text body (get_content()), its charset and transfer encoding, and whether every octet was 7-bit.
import email, email.policy, imaplib, json, sys

host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port, timeout=30)
m.login(user, password)
typ, data = m.select('INBOX', readonly=True)
assert typ == 'OK', data
typ, data = m.uid('SEARCH', 'ALL')
for uid in data[0].split():
    typ, parts = m.uid('FETCH', uid, '(BODY.PEEK[])')
    raw = parts[0][1]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=('plain',))
    print(json.dumps({
        'subject': str(msg['subject']),
        'fromName': msg['from'].addresses[0].display_name,
        'text': body.get_content().replace('\r\n', '\n'),
        'charset': body.get_content_charset(),
        'cte': body['content-transfer-encoding'],
        'sevenBit': all(b < 0x80 for b in raw),
    }, ensure_ascii=False), flush=True)
m.logout()
