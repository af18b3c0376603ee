# Python's imaplib as the IMAP side of the JMAP tests (a client we did not write).
# usage: imap-peer.py store HOST PORT USER PASSWORD SUBJECT   -> flags the message with that subject \Flagged
#        imap-peer.py idle  HOST PORT USER PASSWORD           -> IDLEs on INBOX; prints "idling", then each untagged
#                                                               EXPUNGE/EXISTS line until one EXPUNGE arrives (30 s at most)
import imaplib, sys, time

mode, host, port, user, password = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
m = imaplib.IMAP4(host, port, timeout=30)
m.login(user, password)
typ, data = m.select('INBOX')
assert typ == 'OK', data

if mode == 'store':
    subject = sys.argv[6]
    typ, data = m.uid('SEARCH', 'CHARSET', 'UTF-8', 'SUBJECT', subject.encode('utf-8'))
    uids = data[0].split()
    assert uids, 'no message with subject %r' % subject
    typ, data = m.uid('STORE', uids[-1], '+FLAGS', '(\\Flagged)')
    assert typ == 'OK', data
    print('ok store', uids[-1].decode(), flush=True)
elif mode == 'idle':
    tag = m._new_tag()
    m.send(tag + b' IDLE\r\n')
    line = m.readline()
    assert line.startswith(b'+'), line
    print('idling', flush=True)
    deadline = time.time() + 30
    got = False
    while time.time() < deadline and not got:
        line = m.readline().strip()
        if not line:
            break
        print(line.decode('utf-8', 'replace'), flush=True)
        got = line.endswith(b'EXPUNGE')
    m.send(b'DONE\r\n')
    while True:
        line = m.readline()
        if not line or line.startswith(tag):
            break
    print('expunged' if got else 'no expunge', flush=True)
m.logout()
