// Tags → score → action (F8). The table is the defaults of tags.ts overlaid with [spam] scores; the
// thresholds are config. It never bounces: the worst outcomes are reject (while the client waits) or delete.
import type { Config } from '../config/schema.js';
import { DEFAULT_SCORES, type Tag } from './tags.js';
import type { SpamAction } from './types.js';

export interface Scored {
  score: number;
  action: SpamAction;
  scored: { tag: Tag; score: number }[];
  /** How many checks hit (tags with a positive score): the seed's "delete after N matches". */
  matches: number;
}

export function scoreOf(tag: Tag, spam: Config['spam']): number {
  return spam.scores[tag] ?? DEFAULT_SCORES[tag];
}

export function decide(tags: Tag[], spam: Config['spam']): Scored {
  const unique = [...new Set(tags)];
  const scored = unique.map((tag) => ({ tag, score: scoreOf(tag, spam) }));
  const score = Math.round(scored.reduce((a, s) => a + s.score, 0) * 100) / 100;
  const matches = scored.filter((s) => s.score > 0).length;
  let action: SpamAction = 'inbox';
  if (unique.includes('DNSBL_TRUSTED')) action = 'delete';
  else if (spam.reject_threshold !== undefined && score >= spam.reject_threshold) action = 'reject';
  else if (spam.delete_after_matches !== undefined && matches >= spam.delete_after_matches && score >= spam.spam_threshold) action = 'delete';
  else if (score >= spam.spam_threshold) action = 'spam';
  return { score, action, scored, matches };
}
