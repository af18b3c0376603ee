// The tables every node keeps a local SQLite copy of (engine/db/pg/replica.ts): what the synchronous code reads
// per message or per login (accounts, lists, rights, quotas, defaults, rules, settings, tokens). Parents before
// children. Per-message state (moderation queue, bounces, reply history, Bayes) is not copied (docs/scale-out.md).
// Column lists match the SQLite schema; `bools` are boolean in PostgreSQL (0/1 in SQLite), `ints` are bigint.

export interface TableSpec {
  name: string;
  key: string[];
  cols: string[];
  bools?: string[];
  ints?: string[];
  /** SQLite DDL (IF NOT EXISTS) for a table only a node's copy has; prepareCopy runs it first. */
  create?: string;
}

const t = (name: string, key: string[], cols: string, bools = '', ints = ''): TableSpec => ({
  name,
  key,
  cols: cols.split(/\s+/).filter(Boolean),
  bools: bools.split(/\s+/).filter(Boolean),
  ints: ints.split(/\s+/).filter(Boolean),
});

/** The account directory proper (migration 1). */
export const DIRECTORY_TABLES: TableSpec[] = [
  t('domains', ['name'], 'name created', '', 'created'),
  t(
    'users',
    ['address'],
    `address local domain password_hash secret_sealed scram_sha256 full_name reply_to forward keep_copy disabled
     cannot_change_password web_access host_admin list_admin system_admin created`,
    'keep_copy disabled cannot_change_password web_access host_admin list_admin system_admin',
    'created',
  ),
  t('aliases', ['address'], 'address targets created', '', 'created'),
];

/** Everything a node copies (migrations 1, 4–7, 9). */
export const COPIED_TABLES: TableSpec[] = [
  ...DIRECTORY_TABLES,
  t(
    'lists',
    ['address'],
    'address name domain post moderated subject_prefix reply_to max_size digest archive dmarc_rewrite private digest_last digest_issue created',
    'moderated digest archive private',
    'max_size digest_last digest_issue created',
  ),
  t('list_members', ['id'], 'id list address digest disabled disabled_reason disabled_at added', 'digest disabled', 'id disabled_at added'),
  t('list_admins', ['list', 'address'], 'list address'),
  t('admin_rights', ['address', 'kind', 'target'], 'address kind target created', '', 'created'),
  t('user_quotas', ['address'], 'address bytes messages', '', 'bytes messages'),
  t(
    'domain_defaults',
    ['domain'],
    'domain reply_to forward keep_copy cannot_change_password disabled web_access quota_bytes quota_messages',
    'keep_copy cannot_change_password disabled web_access',
    'quota_bytes quota_messages',
  ),
  t('sieve_scripts', ['owner', 'name'], 'owner name script active updated', 'active', 'updated'),
  t('vacations', ['address'], 'address enabled subject text html from_ms until_ms days addresses sender updated', 'enabled', 'from_ms until_ms days updated'),
  t('auto_replies', ['address'], 'address enabled subject text interval_s updated', 'enabled', 'interval_s updated'),
  t('settings', ['key'], 'key value updated updated_by', '', 'updated'),
  t('settings_meta', ['id'], 'id version', '', 'version'),
  t('api_tokens', ['id'], 'id hash address label created last_used', '', 'id created last_used'),
  t('jmap_tokens', ['id'], 'id hash address label created last_used', '', 'id created last_used'),
  // migration 31: sealed with keys/secret.key; the workers read the copy when they sign (engine/outbound/dkim-keys.ts)
  {
    ...t('dkim_keys', ['domain', 'selector'], 'domain selector key_sealed created', '', 'created'),
    create: `CREATE TABLE IF NOT EXISTS dkim_keys (domain TEXT NOT NULL, selector TEXT NOT NULL, key_sealed TEXT NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (domain, selector))`,
  },
];

/** Tables `tegami db import-local` copies besides the copied ones (per-message state a single node had). */
export const IMPORTED_ONLY_TABLES: TableSpec[] = [
  t('list_held', ['id'], 'id list post_key sender mail_from subject size reason state notified created expires', 'notified', 'size created expires'),
  t('list_requests', ['id'], 'id list address kind state digest created expires', 'digest', 'created expires'),
  t('list_posts', ['list', 'post_key'], 'list post_key created', '', 'created'),
  t('list_replies', ['list', 'address', 'day'], 'list address day count', '', 'day count'),
  t('reply_history', ['address', 'sender', 'handle'], 'address sender handle at', '', 'at'),
];
