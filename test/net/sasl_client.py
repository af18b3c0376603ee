#!/usr/bin/env python3
# SASL logins from Python's own protocol clients (smtplib, imaplib, poplib), for the real-socket tests of the
# shared login flow. The SCRAM-SHA-256 client side is written here from RFC 5802 §3/§5 and RFC 7677 (the
# standard library has none) and checks the server's signature; CRAM-MD5, LOGIN and PLAIN use what the
# standard library offers where it does (imaplib.login_cram_md5, smtplib's auth_cram_md5/auth_login/auth_plain).
#
#   sasl_client.py PROTOCOL MECHANISM HOST PORT USER PASSWORD [--tls]
#
# prints one JSON line: {"ok": bool, "reply": "<the server's final reply>"} and exits 0 unless the client broke.
import base64, hashlib, hmac, imaplib, json, os, poplib, smtplib, ssl, sys, unicodedata


class Scram:
    """The client side of SCRAM-SHA-256 without channel binding ("n,,")."""

    def __init__(self, user, password):
        self.user = user.replace('=', '=3D').replace(',', '=2C')
        self.password = unicodedata.normalize('NFKC', password)  # SASLprep for the passwords the tests use
        self.cnonce = base64.b64encode(os.urandom(18)).decode()
        self.step = 0
        self.server_ok = False

    def respond(self, challenge: bytes) -> bytes:
        self.step += 1
        if self.step == 1:
            self.first_bare = f'n={self.user},r={self.cnonce}'
            return ('n,,' + self.first_bare).encode()
        if self.step == 2:
            server_first = challenge.decode()
            attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
            nonce, salt, iterations = attrs['r'], base64.b64decode(attrs['s']), int(attrs['i'])
            if not nonce.startswith(self.cnonce):
                raise RuntimeError('server nonce does not extend ours')
            salted = hashlib.pbkdf2_hmac('sha256', self.password.encode(), salt, iterations)
            client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
            stored_key = hashlib.sha256(client_key).digest()
            without_proof = f'c={base64.b64encode(b"n,,").decode()},r={nonce}'
            auth_message = f'{self.first_bare},{server_first},{without_proof}'.encode()
            signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
            self.expected = 'v=' + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest()).decode()
            return f'{without_proof},p={base64.b64encode(proof).decode()}'.encode()
        if challenge.decode() != self.expected:
            raise RuntimeError(f'bad server signature: {challenge!r}')
        self.server_ok = True
        return b''


def cram_md5(user, password, challenge: bytes) -> bytes:
    return f'{user} {hmac.new(password.encode(), challenge, "md5").hexdigest()}'.encode()


def smtp(mech, host, port, user, password, use_tls):
    s = smtplib.SMTP(host, port, timeout=30)
    s.ehlo('sasl-client.example.net')
    if use_tls:
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo('sasl-client.example.net')
    scram = Scram(user, password)
    if mech == 'SCRAM-SHA-256':
        def obj(challenge=None):
            return scram.respond(challenge or b'').decode()
    elif mech == 'CRAM-MD5':
        obj = s.auth_cram_md5
    elif mech == 'LOGIN':
        obj = s.auth_login
    else:
        obj = s.auth_plain
    s.user, s.password = user, password
    try:
        code, resp = s.auth(mech, obj, initial_response_ok=mech != 'CRAM-MD5')
        reply, ok = f'{code} {resp.decode()}', code == 235
    except smtplib.SMTPAuthenticationError as e:
        reply, ok = f'{e.smtp_code} {e.smtp_error.decode()}', False
    if mech == 'SCRAM-SHA-256' and ok and not scram.server_ok:
        raise RuntimeError('logged in without checking the server signature')
    s.close()
    return ok, reply


def imap(mech, host, port, user, password, use_tls):
    m = imaplib.IMAP4(host, port)
    if use_tls:
        m.starttls(ssl_context=ssl._create_unverified_context())
    scram = Scram(user, password)
    try:
        if mech == 'CRAM-MD5':
            typ, data = m.login_cram_md5(user, password)
        elif mech == 'SCRAM-SHA-256':
            typ, data = m.authenticate(mech, scram.respond)
        elif mech == 'LOGIN':
            answers = iter([user.encode(), password.encode()])
            typ, data = m.authenticate(mech, lambda _c: next(answers))
        else:
            typ, data = m.authenticate(mech, lambda _c: f'\0{user}\0{password}'.encode())
        ok, reply = typ == 'OK', f'{typ} {data[0].decode()}'
    except imaplib.IMAP4.error as e:
        ok, reply = False, str(e)
    if mech == 'SCRAM-SHA-256' and ok and not scram.server_ok:
        raise RuntimeError('logged in without checking the server signature')
    try:
        m.logout()
    except Exception:
        pass
    return ok, reply


def pop3(mech, host, port, user, password, use_tls):
    # poplib has no AUTH command (RFC 5034): its connection and line handling, our SASL steps
    p = poplib.POP3(host, port, timeout=30)
    if use_tls:
        p.stls(context=ssl._create_unverified_context())
    scram = Scram(user, password)
    p._putcmd(f'AUTH {mech}')
    logins = iter([user.encode(), password.encode()])
    while True:
        line = p._getline()[0].decode()
        if not line.startswith('+ ') and line != '+':
            break
        challenge = base64.b64decode(line[2:])
        if mech == 'SCRAM-SHA-256':
            answer = scram.respond(challenge)
        elif mech == 'CRAM-MD5':
            answer = cram_md5(user, password, challenge)
        elif mech == 'LOGIN':
            answer = next(logins)
        else:
            answer = f'\0{user}\0{password}'.encode()
        p._putcmd(base64.b64encode(answer).decode())
    ok = line.startswith('+OK')
    if mech == 'SCRAM-SHA-256' and ok and not scram.server_ok:
        raise RuntimeError('logged in without checking the server signature')
    try:
        p.quit()
    except Exception:
        pass
    return ok, line


if __name__ == '__main__':
    protocol, mech, host, port, user, password = sys.argv[1:7]
    use_tls = '--tls' in sys.argv[7:]
    ok, reply = {'smtp': smtp, 'imap': imap, 'pop3': pop3}[protocol](mech.upper(), host, int(port), user, password, use_tls)
    print(json.dumps({'ok': ok, 'reply': reply}))
