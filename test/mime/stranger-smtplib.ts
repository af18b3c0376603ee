// A Python smtplib script (run as `python3 -c SCRIPT PORT`) that sends a stranger's message to `to` over port 25
// and prints "250", or the 5xx code and text DATA got. `headers` is a Python expression for the header lines after
// To: (without the last line's CRLF), so a test can build a header of any shape and size in Python.
export function strangerSmtplib(to: string, headers: string): string {
  return [
    'import smtplib, sys',
    `raw = ("From: stranger@example.org\\r\\nTo: ${to}\\r\\n" + ${headers} + "\\r\\n\\r\\nbody\\r\\n").encode()`,
    's = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=300)',
    'try:',
    `    s.sendmail("stranger@example.org", ["${to}"], raw); print("250")`,
    'except smtplib.SMTPDataError as e:',
    '    print(e.smtp_code, e.smtp_error.decode())',
    's.quit()',
  ].join('\n');
}
