# Python's email package as the reader of messages tegami wrote (a decoder we did not write).
# usage: mime-decode.py FILE...  -> one JSON line per file: subject, from (display name, address), the text body
#        (get_content()), its charset and transfer encoding, and the attachments' file names.
import email, email.policy, json, sys

for name in sys.argv[1:]:
    with open(name, 'rb') as fh:
        m = email.message_from_bytes(fh.read(), policy=email.policy.default)
    body = m.get_body(preferencelist=('plain',))
    out = {
        'subject': str(m['subject']),
        'fromName': m['from'].addresses[0].display_name,
        'fromEmail': m['from'].addresses[0].addr_spec,
        'text': body.get_content(),
        'charset': body.get_content_charset(),
        'cte': body['content-transfer-encoding'],
        'files': [p.get_filename() for p in m.iter_attachments()],
        'defects': [type(d).__name__ for p in m.walk() for d in p.defects],
    }
    print(json.dumps(out, ensure_ascii=False), flush=True)
