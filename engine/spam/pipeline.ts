// Content analysis of one message (F4–F8): parse and decode, run every content analyzer, add the
// connection-time tags, score, decide the action and write the headers. Built once per config and reused
// (compiled phrases, the Bayes database, the resolver). It only judges; filing and replying are the caller's.
import type { LoadedConfig } from '../config/load.js';
import { dnsCacheOptions, makeResolver, type Resolver } from '../dns/resolver.js';
import { IpList } from '../policy/cidr.js';
import { verifyDkimDmarc } from './auth.js';
import { BayesStore, DEFAULT_COMBINE, SERVER, bayesLogOdds, bayesVotes, classifyWith, type BayesBackend, type BayesVerdict } from './bayes.js';
import { authResultsLine, fmt, headerLine, summaryLine } from './headers.js';
import { checkHtml } from './html.js';
import { parseMessage } from './message.js';
import { bayesFor } from './learn.js';
import { compilePhrases, type PhraseMatcher } from './phrase.js';
import { ruleInput } from './rules/input.js';
import { loadRuleSet, type RuleSet, type ScoreSet } from './rules/rules.js';
import { decide, unsureOddsShare, unsureScale, weigher } from './scores.js';
import { SpamLog } from './spam-log.js';
import { bayesBand, type Tag } from './tags.js';
import { tokenise } from './tokenise.js';
import type { AnalyseEnvelope, AnalyseResult, ConnectionResult } from './types.js';
import { UrlBlacklist, extractUrls, hostOf } from './url.js';
import { SenderWhitelist } from './whitelist.js';

/** [spam] bayes_per_writing: counts divided by the learnt mail of the message's writing (bayes.ts writingTotals). */
const PER_WRITING = Object.freeze({ ...DEFAULT_COMBINE, perWriting: true });

const HIRAGANA = /\p{Script=Hiragana}/gu;
/**
 * A mislabelled charset counts (CHARSET_MISLABELLED) in mail that reads as Japanese once decoded (Shift_JIS sent as
 * Latin-1, the check's purpose): five hiragana or more in the subject and the first 4 KiB of each text part. English
 * with stray 8-bit bytes under us-ascii, or UTF-8 under Latin-1, is sloppy software, as common in ham as in spam, and
 * Windows-1252 quotes read as Shift_JIS give kanji and half-width kana, never hiragana (issue 18, spam11). The Bayes
 * token stays for any mislabel.
 */
function readsJapanese(msg: { subject: string; texts: string[]; htmls: string[] }): boolean {
  let n = 0;
  for (const t of [msg.subject.slice(0, 300), ...msg.texts, ...msg.htmls]) {
    n += t.slice(0, 4096).match(HIRAGANA)?.length ?? 0;
    if (n >= 5) return true;
  }
  return false;
}

export interface AnalyserOptions {
  resolver?: Resolver;
  log?: SpamLog;
}

export class Analyser {
  readonly config: LoadedConfig;
  private readonly resolver: Resolver;
  private readonly phrases: PhraseMatcher;
  private readonly urls: UrlBlacklist;
  private readonly trusted: IpList;
  private readonly whitelist: SenderWhitelist;
  readonly rules: RuleSet;
  private readonly log: SpamLog;
  private bayesStore: BayesStore | null | undefined;
  private bayesRetryAt = 0;

  constructor(config: LoadedConfig, opts: AnalyserOptions = {}) {
    this.config = config;
    this.resolver = opts.resolver ?? makeResolver(config.dns.servers, Math.min(config.dns.timeout, 2000), undefined, dnsCacheOptions(config.dns));
    this.phrases = compilePhrases(config.spam.phrases, config.spam.phrase_regexes);
    this.urls = new UrlBlacklist(config.spam.url_blacklist);
    this.trusted = new IpList(config.spam.trusted_ips);
    this.whitelist = new SenderWhitelist(config.spam.sender_whitelist);
    this.rules = loadRuleSet(config.spam.rules_file, config.source);
    this.log = opts.log ?? SpamLog.forConfig(config);
  }

  /**
   * The Bayes database, opened on first use; if it cannot be opened the filter sits out and retries in 30 s. On
   * PostgreSQL the thread's shared store (engine/spam/learn.ts bayesFor), which this analyser does not close.
   */
  private bayes(): BayesBackend | null {
    if (this.config.storage.backend === 'postgres') return bayesFor(this.config);
    if (!this.bayesStore && Date.now() >= this.bayesRetryAt) {
      try {
        this.bayesStore = new BayesStore(this.config.data_dir);
      } catch (e) {
        this.bayesStore = null;
        this.bayesRetryAt = Date.now() + 30_000;
        this.log.analyzer('bayes', { error: (e as Error).message });
      }
    }
    return this.bayesStore ?? null;
  }

  async analyse(raw: Buffer, env: AnalyseEnvelope, connection?: ConnectionResult): Promise<AnalyseResult> {
    const started = Date.now();
    const s = this.config.spam;
    if (!s.enabled || this.trusted.has(env.ip) || (env.authenticatedUser && !s.filter_authenticated)) {
      return { tags: [], score: 0, action: 'inbox', headers: '' };
    }
    const tags: Tag[] = [...(connection?.tags ?? [])];
    const lines: string[] = [...(connection?.headers ?? [])];
    const add = (t: Tag) => {
      if (!tags.includes(t)) tags.push(t);
    };

    const msg = parseMessage(raw, { partScanBytes: s.part_scan_size });
    const html = msg.htmls.map((h) => checkHtml(h, s.html_max_links));
    const htmlTags = [...new Set(html.flatMap((h) => h.tags))];
    if (htmlTags.length) {
      htmlTags.forEach(add);
      lines.push(headerLine('X-IMAIL-SPAM-HTML', [...new Set(html.flatMap((h) => h.details))].join('; ')));
    }
    this.log.analyzer('html', { tags: htmlTags.join(',') });
    const htmlText = html.map((h) => h.text);
    const urls = [...msg.texts.flatMap((t) => extractUrls(t)), ...html.flatMap((h) => h.hrefs)];

    const phraseHits = this.phrases.match([msg.subject, ...msg.texts, ...htmlText].join('\n'));
    if (phraseHits.length) {
      add('PHRASE');
      lines.push(headerLine('X-IMAIL-SPAM-PHRASE', phraseHits.join(', ')));
    }
    this.log.analyzer('phrase', { hits: phraseHits.join(',') });

    const hosts = urls.map(hostOf).filter((h): h is string => !!h);
    const listed = this.urls.match(hosts);
    if (listed.length) {
      add('URL_BLACKLIST');
      lines.push(headerLine('X-IMAIL-SPAM-URL', listed.slice(0, 5).join(', ')));
    }
    this.log.analyzer('url', { urls: hosts.length, listed: listed.join(',') });

    if (msg.mislabelled && readsJapanese(msg)) add('CHARSET_MISLABELLED');

    const ruleHits = this.rules.evaluate(ruleInput(msg, html, urls));
    if (ruleHits.length) {
      ruleHits.forEach((h) => add(h.tag as Tag));
      lines.push(headerLine('X-IMAIL-SPAM-RULES', ruleHits.map((h) => (h.detail ? `${h.tag} (${h.detail.replace(/[^\x20-\x7e]/g, '?')})` : h.tag)).join(', ')));
    }
    this.log.analyzer('rules', { hits: ruleHits.map((h) => h.tag).join(',') });

    let set: ScoreSet = 'no_bayes';
    let unsure = false;
    let unsureOdds = 0;
    const amounts: Partial<Record<Tag, number>> = {};
    if (s.bayes) {
      const store = this.bayes();
      if (store) {
        // tokenised only when Bayes has learnt enough to classify (an untrained filter, as on a new install, skips it)
        let tokens: string[] = [];
        const owners = env.rcptTo.length === 1 ? [SERVER, env.rcptTo[0].toLowerCase()] : [SERVER];
        let v: BayesVerdict;
        try {
          v = await classifyWith(store, owners, () => (tokens = tokenise(msg, htmlText, urls)), s.bayes_min_messages, s.bayes_per_writing ? PER_WRITING : DEFAULT_COMBINE);
        } catch (e) {
          // the shared counts unreachable (the database away): Bayes sits this message out, as when bayes.db cannot open
          this.log.analyzer('bayes', { error: (e as Error).message });
          v = { probability: null, clues: [], known: 0, logOdds: 0 };
        }
        // Bayes votes with its weights only on mail it knows: on a message most of whose words it has rarely seen
        // (another language, a kind of mail it never learnt) it is unsure, and the rules carry the verdict
        // (its X-IMAIL-SPAM-STATISTICS header too, which a client-side rule may file by); a writing it learnt plenty of
        // is known however rare the message's words (bayes.ts bayesVotes)
        const votes = bayesVotes(v);
        unsure = v.probability !== null && !votes;
        // unsure is not ignorant: Bayes keeps a share of its log-odds term, on the with_bayes scale (scores.ts)
        if (unsure) unsureOdds = unsureOddsShare(this.rules.about) * weigher(s, this.rules, 'with_bayes')('BAYES_ODDS') * bayesLogOdds(v.probability!, v.logOdds);
        if (votes) {
          set = 'with_bayes';
          add(bayesBand(v.probability!));
          add('BAYES_ODDS');
          amounts.BAYES_ODDS = bayesLogOdds(v.probability!, v.logOdds);
        }
        if (votes && v.probability! >= s.bayes_spam_probability) {
          add('STATISTICS');
          lines.push(headerLine('X-IMAIL-SPAM-STATISTICS', `probability=${v.probability!.toFixed(3)}`));
        } else if (votes && v.probability! <= s.bayes_ham_probability) add('STATISTICS_HAM');
        this.log.analyzer('bayes', { p: v.probability === null ? 'untrained' : v.probability.toFixed(4), known: v.known.toFixed(2), script_learnt: v.scriptLearnt === true, unsure, tokens: tokens.length, clues: v.clues.slice(0, 8).map(([t, f]) => `${t}:${f.toFixed(2)}`).join(' ') });
      }
    }

    const authParts = [...(connection?.authResults ?? [])];
    if (s.dkim_dmarc) {
      const a = await verifyDkimDmarc(raw, this.resolver, { mailFrom: env.mailFrom, spf: connection?.spf }, Math.min(this.config.dns.timeout, 1500));
      a.tags.forEach(add);
      authParts.push(...a.authResults);
      if (a.tags.includes('DKIM_FAIL')) lines.push(headerLine('X-IMAIL-SPAM-DKIM', a.details.filter((d) => d.startsWith('dkim')).join('; ') || 'fail'));
      if (a.tags.includes('DMARC_FAIL')) lines.push(headerLine('X-IMAIL-SPAM-DMARC', a.details.filter((d) => d.startsWith('dmarc')).join('; ') || 'fail'));
      this.log.analyzer('auth', { tags: a.tags.join(','), details: a.details.join('; ') });
    }

    if (this.whitelisted(env.mailFrom, msg.fromAddress, tags)) add('SENDER_WHITELIST');

    const judged = this.rules.disabled.size ? tags.filter((t) => !this.rules.disabled.has(t)) : tags;
    const weigh = weigher(s, this.rules, set);
    // an unsure Bayes: the no_bayes score is put on the with_bayes scale, so one ranking holds both kinds of message
    const d = decide(judged, s, weigh, amounts, unsure ? unsureScale(this.rules.about) : undefined, unsureOdds);
    const out = [...lines, summaryLine(d.score, s.spam_threshold, d.action, d.scored), authResultsLine(this.config.hostname, authParts)];
    const result: AnalyseResult = { tags: judged.filter((t, i) => judged.indexOf(t) === i), score: d.score, action: d.action, headers: out.map((l) => l + '\r\n').join('') };
    if (d.action === 'reject') {
      const reasons = d.scored.filter((x) => x.score > 0).sort((a, b) => b.score - a.score).slice(0, 4).map((x) => x.tag);
      result.rejectText = `Message refused as spam (score ${fmt(d.score)}: ${reasons.join(', ')})`;
    }
    this.log.verdict(env, {
      score: d.score,
      action: d.action,
      tags: d.scored.map((x) => `${x.tag}(${fmt(x.score)})`).join(','),
      ms: Date.now() - started,
      messageId: msg.headers.get('message-id')?.[0]?.slice(0, 200),
    });
    return result;
  }

  /** Whitelisted sender (envelope or From:), unless SPF or DMARC says the address is forged. */
  private whitelisted(mailFrom: string, fromAddress: string, tags: Tag[]): boolean {
    if (this.whitelist.empty || tags.includes('SPF_FAIL') || tags.includes('DMARC_FAIL')) return false;
    return this.whitelist.has(mailFrom) || this.whitelist.has(fromAddress);
  }

  async close(): Promise<void> {
    this.bayesStore?.close();
    this.bayesStore = undefined;
    await this.log.close();
  }
}
