// Japanese and English for the web pages: i18next over the JSON catalogues in engine/web/i18n/, the
// language picked from the user's choice (cookie) or Accept-Language, dates through Intl in that locale.
// Sentences are whole catalogue entries with {{placeholders}}; never glue translated fragments together.
import fs from 'node:fs';
import path from 'node:path';
import i18next, { type i18n as I18n } from 'i18next';
import { assetDir } from './assets.js';

export const LANGS = ['en', 'ja'] as const;
export type Lang = (typeof LANGS)[number];
export const DEFAULT_LANG: Lang = 'en';

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

export function isLang(s: unknown): s is Lang {
  return typeof s === 'string' && (LANGS as readonly string[]).includes(s);
}

export function loadCatalogue(lang: Lang): Record<string, unknown> {
  const file = path.join(assetDir('i18n'), `${lang}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

let instance: I18n | null = null;

/** One i18next instance for the process, initialised synchronously from the catalogues. */
export function i18n(): I18n {
  if (instance) return instance;
  const inst = i18next.createInstance();
  // eslint-disable-next-line @typescript-eslint/no-floating-promises -- init never rejects (i18next hands errors to its callback) and, with initAsync off, has finished when it returns
  void inst.init({
    initAsync: false,
    resources: Object.fromEntries(LANGS.map((l) => [l, { translation: loadCatalogue(l) }])),
    lng: DEFAULT_LANG,
    fallbackLng: false,
    supportedLngs: [...LANGS],
    // html`` escapes every interpolated string, so i18next must not escape first (it would double-escape)
    interpolation: { escapeValue: false },
    returnNull: false,
    returnEmptyString: false,
  });
  instance = inst;
  return inst;
}

export function translator(lang: Lang): Translate {
  const t = i18n().getFixedT(lang);
  return (key, vars) => t(key, vars ?? {}) as string;
}

/** The best supported language for an Accept-Language header, with the locale to format dates in. */
export function negotiate(acceptLanguage: string | undefined): { lang: Lang; locale: string } | null {
  if (!acceptLanguage) return null;
  const ranges = acceptLanguage
    .slice(0, 1000)
    .split(',')
    .slice(0, 30)
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.trim().toLowerCase(), q: q ? Number(q[1]) : 1, i };
    })
    .filter((r) => r.q > 0 && /^[a-z]{1,8}(-[a-z0-9]{1,8})*$/.test(r.tag))
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const r of ranges) {
    const primary = r.tag.split('-')[0];
    if (isLang(primary)) return { lang: primary, locale: supportedLocale(r.tag) ?? primary };
  }
  return null;
}

function supportedLocale(tag: string): string | undefined {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag])[0];
  } catch {
    return undefined;
  }
}

/** A date and time in the user's locale (ja: 2025/01/05 14:03, en-GB: 5 Jan 2025, 14:03…). */
export function formatDateTime(d: Date | number, locale: string, timeZone?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(d);
}

export function formatNumber(n: number, locale: string): string {
  return new Intl.NumberFormat(locale).format(n);
}
