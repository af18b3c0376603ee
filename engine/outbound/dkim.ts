// DKIM keys and signing (RFC 6376) with mailauth: keys live in <data_dir>/dkim/<domain>/<selector>.key
// (PEM, mode 0600); a local domain signs with its newest key, and only mail its origin allows (signingKey).
// `keygen` makes a key and the TXT record to publish. A private key is never logged or printed; signing
// never changes the message itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { dkimSign } from 'mailauth/lib/dkim/sign.js';
import { authorDomain } from '../mime/address-list.js';
import { writeFileDurable } from '../util/durable-file.js';
import type { Origin } from '../spool/envelope.js';

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: string;
  algorithm: 'rsa-sha256' | 'ed25519-sha256';
}

export function dkimDir(dataDir: string): string {
  return path.join(dataDir, 'dkim');
}

function validLabel(s: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(s);
}

export function validDomain(d: string): boolean {
  return d.length <= 253 && d.split('.').every(validLabel);
}

/** The TXT record (name and value) that publishes a key's public half. */
export function txtRecord(domain: string, selector: string, privateKeyPem: string): { name: string; value: string } {
  const key = crypto.createPrivateKey(privateKeyPem);
  const pub = crypto.createPublicKey(key);
  const ed = key.asymmetricKeyType === 'ed25519';
  // RSA: SubjectPublicKeyInfo DER; Ed25519: the raw 32-byte key (RFC 8463)
  const der = pub.export({ type: 'spki', format: 'der' });
  const p = (ed ? der.subarray(der.length - 32) : der).toString('base64');
  return { name: `${selector}._domainkey.${domain}`, value: `v=DKIM1; k=${ed ? 'ed25519' : 'rsa'}; p=${p}` };
}

/** Split a TXT value into ≤255-byte strings for a zone file. */
export function zoneFileLine(rec: { name: string; value: string }): string {
  const parts = rec.value.match(/.{1,250}/g) ?? [];
  return `${rec.name}. IN TXT ( ${parts.map((p) => JSON.stringify(p)).join(' ')} )`;
}

/** `file`: where a file key was written; `stored`: where the key is, said to the operator (a file, or the database). */
export type KeygenResult = { ok: true; file?: string; stored: string; record: { name: string; value: string } } | { ok: false; reason: string };

/** A new private key as PKCS#8 PEM. */
export function newPrivateKey(opts: { type?: 'rsa' | 'ed25519'; bits?: number } = {}): string {
  return opts.type === 'ed25519'
    ? crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    : crypto.generateKeyPairSync('rsa', { modulusLength: opts.bits ?? 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function validSelector(s: string): boolean {
  return validLabel(s);
}

/** A key read from where it is kept (a file, or a sealed row), with its algorithm. */
export function keyOf(domain: string, selector: string, privateKey: string): DkimKey {
  const ed = crypto.createPrivateKey(privateKey).asymmetricKeyType === 'ed25519';
  return { domain, selector, privateKey, algorithm: ed ? 'ed25519-sha256' : 'rsa-sha256' };
}

/** Where a domain's signing key is looked up: the data dir's files, or a store of keys (engine/outbound/dkim-keys.ts). */
export type KeySource = string | { find(domain: string): DkimKey | null };
export const lookUp = (keys: KeySource, domain: string): DkimKey | null => (typeof keys === 'string' ? findKey(keys, domain) : keys.find(domain));

export function generateKey(dataDir: string, domain: string, selector: string, opts: { type?: 'rsa' | 'ed25519'; bits?: number; force?: boolean } = {}): KeygenResult {
  const d = domain.toLowerCase();
  if (!validDomain(d)) return { ok: false, reason: `not a domain name: ${domain}` };
  if (!validLabel(selector)) return { ok: false, reason: `not a valid selector: ${selector}` };
  const dir = path.join(dkimDir(dataDir), d);
  const file = path.join(dir, `${selector}.key`);
  if (fs.existsSync(file) && !opts.force) return { ok: false, reason: `a key for selector "${selector}" of ${d} already exists (${file}); use another --selector, or --force` };
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const pem = newPrivateKey(opts);
  writeFileDurable(file, pem);
  return { ok: true, file, stored: file, record: txtRecord(d, selector, pem) };
}

/** The key a domain signs with: its newest <selector>.key, or null. */
export function findKey(dataDir: string, domain: string): DkimKey | null {
  const d = domain.toLowerCase();
  if (!validDomain(d)) return null;
  const dir = path.join(dkimDir(dataDir), d);
  let best: { selector: string; file: string; mtime: number } | null = null;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return null;
  }
  for (const n of names) {
    const m = /^([a-z0-9-]+)\.key$/i.exec(n);
    if (!m) continue;
    const file = path.join(dir, n);
    const mtime = fs.statSync(file).mtimeMs;
    if (!best || mtime > best.mtime) best = { selector: m[1], file, mtime };
  }
  if (!best) return null;
  return keyOf(d, best.selector, fs.readFileSync(best.file, 'utf8'));
}

/** The one domain of the From: addresses (RFC 5322 parsing, engine/mime/address-list.ts), or null. */
export function fromDomain(message: Buffer): string | null {
  return authorDomain(message);
}

export type SigningChoice =
  | { sign: true; key: DkimKey }
  /** `reason` is set when the From: domain has a key but this message may not use it (worth a log line). */
  | { sign: false; reason?: string; domain?: string };

/** A domain's own key, else the nearest parent domain's (MAILER-DAEMON@mx.example.org signs as example.org). */
function ownKey(keys: KeySource, domain: string): DkimKey | null {
  const labels = domain.split('.');
  for (let i = 0; labels.length - i >= 2; i++) {
    const k = lookUp(keys, labels.slice(i).join('.'));
    if (k) return k;
  }
  return null;
}

/**
 * The key a message leaving here is signed with, decided by its origin (recorded when the message was
 * created: the SMTP session's author check, or tegami writing it), never by its headers alone: the From:
 * domain must also be the one that origin names. Mail that only passes through is never signed.
 */
export function signingKey(keys: KeySource, origin: Origin | null, message: Buffer): SigningChoice {
  const author = authorDomain(message);
  const refused = (reason: string): SigningChoice => (author && lookUp(keys, author) ? { sign: false, reason, domain: author } : { sign: false });
  if (!origin) return refused('no origin recorded for this message (spooled by an older tegami)');
  if (origin.kind === 'relayed') return refused('not written by a sender of ours (received from elsewhere, forwarded or relayed)');
  // a list's copy is the list's message (it rewrote it and sends it from its bounce address): signed as the
  // list's domain whatever its From: says, as list servers do (engine/lists); only tegami makes this origin
  if (origin.kind === 'tegami' && origin.source === 'list') {
    const key = ownKey(keys, origin.domain);
    return key ? { sign: true, key } : { sign: false };
  }
  if (author !== origin.domain) return refused(`From: domain is not ${origin.domain}, the author checked when the message was ${origin.kind === 'tegami' ? 'written' : 'received'}`);
  const key = origin.kind === 'tegami' ? ownKey(keys, origin.domain) : lookUp(keys, origin.domain);
  return key ? { sign: true, key } : { sign: false };
}

/**
 * The fields we sign when present: mailauth's default list plus List-Unsubscribe-Post, which RFC 8058 §4 requires
 * to be signed with List-Unsubscribe (mailauth's list lacks it).
 */
export const SIGNED_FIELDS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date', 'Resent-From', 'Resent-Sender',
  'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To', 'References', 'List-Id', 'List-Help',
  'List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Subscribe', 'List-Post', 'List-Owner', 'List-Archive', 'BIMI-Selector',
].join(':');

/** The DKIM-Signature header(s) to prepend, or an error as a value. */
export async function signMessage(message: Buffer, key: DkimKey): Promise<{ ok: true; header: string } | { ok: false; reason: string }> {
  try {
    // mailauth reads the keys from signatureData (its typings also list top-level fields it ignores)
    const sig = { signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey, algorithm: key.algorithm, canonicalization: 'relaxed/relaxed' };
    // signTime fixes t= once: without it mailauth reads the clock twice — for the hashed header and again for
    // the header it returns — and a message signed across a half-second boundary carried a t= other than the one
    // signed (a `fail` at the receiver; ~0.5% of signed mail, more on a busy machine).
    // headerList: mailauth reads it as a colon-separated string (its typings say string[], which it would ignore)
    const r = await dkimSign(message, { ...sig, signTime: new Date(), headerList: SIGNED_FIELDS, signatureData: [sig] } as unknown as Parameters<typeof dkimSign>[1]);
    if (r.errors?.length) return { ok: false, reason: r.errors.map((e) => e.message).join('; ') };
    if (!/^DKIM-Signature:/i.test(r.signatures)) return { ok: false, reason: 'no signature produced' };
    return { ok: true, header: r.signatures };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
