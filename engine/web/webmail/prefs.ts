// The webmail preferences of one user: the language of the pages (null: the browser's) and the charset the
// composer starts with (UTF-8 unless the user chose ISO-2022-JP). Kept beside the user's JMAP objects in the main
// database, so they follow the account to any browser. It never reads or changes another account's.
import type { FastifyInstance } from 'fastify';
import type { JmapService } from '../../jmap/service.js';
import { isLang, translator, type Lang } from '../i18n.js';

export const CHARSETS = ['utf-8', 'iso-2022-jp'] as const;
export type SendCharset = (typeof CHARSETS)[number];

export interface Prefs {
  lang: Lang | null;
  charset: SendCharset;
}

const DEFAULTS: Prefs = { lang: null, charset: 'utf-8' };
const ID = 'prefs';

/** The user's preferences; what is stored is checked field by field (anything odd falls back to the default). */
export async function getPrefs(svc: JmapService, address: string): Promise<Prefs> {
  const o = await svc.objects.get<Record<string, unknown>>(address.toLowerCase(), 'WebmailPrefs', ID);
  return {
    lang: o && isLang(o.lang) ? o.lang : DEFAULTS.lang,
    charset: o && (CHARSETS as readonly unknown[]).includes(o.charset) ? (o.charset as SendCharset) : DEFAULTS.charset,
  };
}

export async function setPrefs(svc: JmapService, address: string, p: Prefs): Promise<void> {
  await svc.objects.put(address.toLowerCase(), 'WebmailPrefs', ID, { lang: p.lang, charset: p.charset });
}

/** Pages of a signed-in user speak the language the user chose in the settings (when one is chosen). */
export function applyLanguage(app: FastifyInstance, svc: JmapService): void {
  app.addHook('onRequest', async (req) => {
    if (req.caller?.via !== 'session') return;
    const lang = (await getPrefs(svc, req.caller.user.address)).lang;
    if (!lang || lang === req.lang) return;
    req.lang = lang;
    req.locale = lang;
    req.t = translator(lang);
  });
}
