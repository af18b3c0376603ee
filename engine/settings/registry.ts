// The settings an administrator may change from the web (or the API) without a restart: each a dotted
// config key with its group (the page it is on) and the shape of its form field. Only keys whose readers
// look them up at use time are here; anything read once at start-up stays TOML-only.
import { TAGS } from '../spam/tags.js';

export type SettingGroup = 'relay' | 'smtp' | 'spam' | 'dnsbl';
export const SETTING_GROUPS: readonly SettingGroup[] = ['relay', 'smtp', 'spam', 'dnsbl'];

/** How a value is edited and checked before the schema sees it. */
export type SettingKind =
  | { type: 'boolean' }
  | { type: 'integer'; min: number; max: number; optional?: boolean }
  | { type: 'number'; min: number; max: number; optional?: boolean }
  | { type: 'enum'; values: readonly string[] }
  /** One entry per line in a form; `item` says how each entry is checked. */
  | { type: 'list'; item: 'text' | 'ip' | 'sender' | 'tag'; max: number }
  | { type: 'dnsbl' };

export interface SettingDef {
  /** The dotted config key ("spam.spam_threshold"); the catalogue label is settings.key.<key with _>. */
  key: string;
  group: SettingGroup;
  kind: SettingKind;
}

const bool = { type: 'boolean' } as const;
const list = (item: 'text' | 'ip' | 'sender' | 'tag', max = 1000) => ({ type: 'list', item, max }) as const;

export const SETTINGS: readonly SettingDef[] = [
  { key: 'relay.mode', group: 'relay', kind: { type: 'enum', values: ['none', 'addresses', 'anyone'] } },
  { key: 'relay.allow_ips', group: 'relay', kind: list('ip') },
  { key: 'relay.i_understand_this_is_an_open_relay', group: 'relay', kind: bool },
  { key: 'smtp.max_recipients', group: 'smtp', kind: { type: 'integer', min: 1, max: 100_000 } },
  { key: 'smtp.restrict_sender', group: 'smtp', kind: bool },
  { key: 'smtp.restrict_header_from', group: 'smtp', kind: bool },
  { key: 'smtp.admins_may_send_as_anyone', group: 'smtp', kind: bool },
  { key: 'spam.enabled', group: 'spam', kind: bool },
  { key: 'spam.spam_threshold', group: 'spam', kind: { type: 'number', min: -1000, max: 1000 } },
  { key: 'spam.reject_threshold', group: 'spam', kind: { type: 'number', min: -1000, max: 1000, optional: true } },
  { key: 'spam.delete_after_matches', group: 'spam', kind: { type: 'integer', min: 1, max: 1000, optional: true } },
  { key: 'spam.move_to_spam_folder', group: 'spam', kind: bool },
  { key: 'spam.filter_authenticated', group: 'spam', kind: bool },
  { key: 'spam.phrases', group: 'spam', kind: list('text') },
  { key: 'spam.url_blacklist', group: 'spam', kind: list('text') },
  { key: 'spam.sender_whitelist', group: 'spam', kind: list('sender') },
  { key: 'spam.trusted_ips', group: 'spam', kind: list('ip') },
  { key: 'spam.local_networks', group: 'spam', kind: list('ip') },
  { key: 'spam.connection_reject', group: 'spam', kind: list('tag', TAGS.length) },
  { key: 'spam.check_sender_domain', group: 'spam', kind: bool },
  { key: 'spam.check_rdns', group: 'spam', kind: bool },
  { key: 'spam.check_helo', group: 'spam', kind: bool },
  { key: 'spam.spf', group: 'spam', kind: bool },
  { key: 'spam.dkim_dmarc', group: 'spam', kind: bool },
  { key: 'spam.bayes', group: 'spam', kind: bool },
  { key: 'dnsbl', group: 'dnsbl', kind: { type: 'dnsbl' } },
];

const BY_KEY = new Map(SETTINGS.map((d) => [d.key, d]));

export function settingDef(key: string): SettingDef | undefined {
  return BY_KEY.get(key);
}

export function settingsOf(group: SettingGroup): SettingDef[] {
  return SETTINGS.filter((d) => d.group === group);
}

/** The top-level config sections a setting may replace (the live config swaps exactly these). */
export const LIVE_SECTIONS = ['relay', 'smtp', 'spam', 'dnsbl'] as const;
export type LiveSection = (typeof LIVE_SECTIONS)[number];

/** The catalogue key of a setting's label: settings.key.spam_spam_threshold. */
export const labelKey = (key: string): string => `settings.key.${key.replace(/\./g, '_')}`;
