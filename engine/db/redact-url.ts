// A database URL as it may be shown (tegami status, logs): the password in the user part and any query
// parameter whose name holds "pass" (password, sslpassword) replaced by "***". A URL that does not parse is not
// shown at all, since where its password is cannot be told.
export function redactedUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(a URL that does not parse: not shown)';
  }
  if (u.password) u.password = '***';
  for (const k of [...u.searchParams.keys()]) if (/pass/i.test(k)) u.searchParams.set(k, '***');
  return u.toString().replace(/%2A%2A%2A/g, '***');
}
