#!/usr/bin/env python3
"""Fire N login attempts at once from one client address over IMAP, POP3 and submission (Python's own clients).

Usage: login_burst.py SOURCE_IP IMAP_PORT POP3_PORT SUBMISSION_PORT PASSWORD LOGIN [LOGIN ...]
Attempt i logs in as LOGIN[i] over imaplib, poplib and smtplib in turn. Every client connects and reads the
greeting first; then all send their credentials at the same moment (a barrier). Prints one JSON line per attempt:
{"proto": ..., "login": ..., "reply": ...} with the server's answer to the credentials.
"""
import imaplib
import json
import poplib
import smtplib
import socket
import sys
import threading

src, imap_port, pop3_port, sub_port, password = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
logins = sys.argv[6:]
TIMEOUT = 120
barrier = threading.Barrier(len(logins))
out = [None] * len(logins)


def attempt(i, login):
    proto = ('imap', 'pop3', 'smtp')[i % 3]
    reply = ''
    try:
        if proto == 'imap':
            c = SourcedIMAP('127.0.0.1', imap_port)
            barrier.wait()
            try:
                reply = 'OK ' + str(c.login(login, password))
            except imaplib.IMAP4.error as e:
                reply = str(e)
            c.shutdown()
        elif proto == 'pop3':
            c = SourcedPOP3('127.0.0.1', pop3_port)
            c.user(login)
            barrier.wait()
            try:
                reply = c.pass_(password).decode('utf-8', 'replace')
            except poplib.error_proto as e:
                reply = e.args[0].decode('utf-8', 'replace')
            c.sock.close()
        else:
            c = smtplib.SMTP('127.0.0.1', sub_port, timeout=TIMEOUT, source_address=(src, 0))
            c.ehlo('burst.example.net')
            barrier.wait()
            try:
                # one AUTH PLAIN (smtplib's login() would try LOGIN after a failed PLAIN: two attempts)
                c.user, c.password = login, password
                code, msg = c.auth('PLAIN', c.auth_plain)
                reply = '%d %s' % (code, msg.decode('utf-8', 'replace'))
            except smtplib.SMTPResponseException as e:
                reply = '%d %s' % (e.smtp_code, e.smtp_error.decode('utf-8', 'replace'))
            c.close()
    except threading.BrokenBarrierError:
        reply = 'ERROR barrier broken'
    except Exception as e:  # a failure of the test's own client: reported, never counted as an answer
        barrier.abort()
        reply = 'ERROR %r' % (e,)
    out[i] = {'proto': proto, 'login': login, 'reply': reply}


class SourcedIMAP(imaplib.IMAP4):
    """imaplib's client, connected from the source address."""

    def _create_socket(self, timeout):
        return socket.create_connection((self.host, self.port), TIMEOUT, source_address=(src, 0))


class SourcedPOP3(poplib.POP3):
    """poplib's client, connected from the source address (POP3() takes none)."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self._tls_established = False
        self.sock = socket.create_connection((host, port), TIMEOUT, source_address=(src, 0))
        self.file = self.sock.makefile('rb')
        self._debugging = 0
        self.welcome = self._getresp()


threads = [threading.Thread(target=attempt, args=(i, l)) for i, l in enumerate(logins)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for o in out:
    print(json.dumps(o))
