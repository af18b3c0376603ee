// Content analysis of one message (F4–F8): parse and decode, run every content analyzer, add the
// connection-time tags, score, decide the action and write the headers. Built once per config and reused
// (compiled phrases, the Bayes database, the resolver). It only judges; filing and replying are the caller's.
import type { LoadedConfig } from '../config/load.js';
import { dnsCacheOptions, makeResolver, type Resolver } from '../dns/resolver.js';
import { IpList } from '../policy/cidr.js';
import { verifyDkimDmarc } from './auth.js';
import { DmarcMemo } from './dmarc-memo.js';
import { BayesStore, DEFAULT_COMBINE, SERVER, bayesLogOdds, bayesVotes, classifyWith, type BayesBackend, type BayesVerdict } from './bayes.js';
import { authResultsLine, fmt, headerLine, summaryLine } from './headers.js';
import { checkHtml, type HtmlFindings } from './html.js';
import { parseMessage, type ParsedMessage } from './message.js';
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
  const count = (t: string) => (n += t.slice(0, 4096).match(HIRAGANA)?.length ?? 0) >= 5;
  if (count(msg.subject.slice(0, 300))) return true;
  for (const t of msg.texts) if (count(t)) return true;
  for (const t of msg.htmls) if (count(t)) return true;
  return false;
}

/** The subject and the texts, each on a line of its own (what the phrase matcher reads). */
function joinTexts(subject: string, texts: readonly string[], htmlText: readonly string[]): string {
  let out = subject;
  for (const t of texts) out += '\n' + t;
  for (const t of htmlText) out += '\n' + t;
  return out;
}

/** Bayes' first clues for the log line: "token:probability" … */
function clueText(clues: readonly [string, number][]): string {
  let out = '';
  for (let i = 0; i < clues.length && i < 8; i++) out += `${i ? ' ' : ''}${clues[i][0]}:${clues[i][1].toFixed(2)}`;
  return out;
}

/** The details of one check (those starting with `kind`), joined. */
function detailsOf(details: readonly string[], kind: string): string {
  let out = '';
  for (const d of details) if (d.startsWith(kind)) out += `${out ? '; ' : ''}${d}`;
  return out;
}

/** Scored tags as the verdict line and the summary header print them: "TAG(1.5),OTHER(-0.3)". */
function scoredText(scored: readonly { tag: string; score: number }[]): string {
  let out = '';
  for (const x of scored) out += `${out ? ',' : ''}${x.tag}(${fmt(x.score)})`;
  return out;
}

/** What one analysis has found so far: tags in the order found (each once), and the header lines. */
class Findings {
  readonly tags: Tag[];
  readonly lines: string[];
  constructor(connection?: ConnectionResult) {
    // copied by a loop into fresh literals, not spread: a spread copies the elements kind of its source (a
    // deserialised task's array or a literal), so the arrays' maps would differ from message to message
    this.tags = [];
    this.lines = [];
    for (const t of connection?.tags ?? []) this.tags.push(t);
    for (const l of connection?.headers ?? []) this.lines.push(l);
  }
  add(t: Tag): void {
    if (!this.tags.includes(t)) this.tags.push(t);
  }
}

/** The decoded message and what the content steps read from it, for Bayes' tokens. */
interface Content {
  msg: ParsedMessage;
  htmlText: string[];
  urls: string[];
}

/** Bayes' part of the score: which score set, whether it is unsure, and its amounts. */
interface BayesPart {
  set: ScoreSet;
  unsure: boolean;
  unsureOdds: number;
  amounts: Partial<Record<Tag, number>>;
}

const noBayes = (): BayesPart => ({ set: 'no_bayes', unsure: false, unsureOdds: 0, amounts: {} });

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
  /** DMARC verdicts kept between messages while the DNS answers the same (dmarc-memo.ts). */
  private readonly dmarcMemo = new DmarcMemo();

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

  /**
   * One message's verdict. Made of a few smaller steps rather than one long function: V8 optimises a function once it
   * has run hot, and a long one both takes longer to get there and costs more to compile each time its optimised code
   * is thrown away — which happens a few times per function, one call site at a time, since an array made by an
   * inlined `.map` fails the map check of the next call on it (docs/benchmarks.md, tenth round): the whole analysis
   * ran unoptimised for seconds at a time under load.
   */
  async analyse(raw: Buffer, env: AnalyseEnvelope, connection?: ConnectionResult): Promise<AnalyseResult> {
    const started = Date.now();
    const s = this.config.spam;
    if (!s.enabled || this.trusted.has(env.ip) || (env.authenticatedUser && !s.filter_authenticated)) {
      return { tags: [], score: 0, action: 'inbox', headers: '' };
    }
    const found = new Findings(connection);
    const content = this.content(raw, found);
    const bayes = s.bayes ? await this.bayesVote(env, content, found) : noBayes();
    const authParts: string[] = [];
    for (const r of connection?.authResults ?? []) authParts.push(r);
    if (s.dkim_dmarc) await this.auth(raw, env, connection, found, authParts);
    return this.verdict(env, content.msg, found, bayes, authParts, started);
  }

  /** The content analyzers: HTML, phrases, URL blacklist, charset, rules. */
  private content(raw: Buffer, found: Findings): Content {
    const s = this.config.spam;
    const { lines } = found;
    const msg = parseMessage(raw, { partScanBytes: s.part_scan_size });
    // plain loops into array literals, no .map/.flatMap/spread: an array made by an Array builtin has another map
    // when TurboFan inlines the builtin than when the builtin made it, so each such array threw this function's
    // optimised code away at its next use, one site per recompile (docs/benchmarks.md, eleventh round)
    const html: HtmlFindings[] = [];
    for (const h of msg.htmls) html.push(checkHtml(h, s.html_max_links));
    const htmlTagSet = new Set<Tag>();
    const detailSet = new Set<string>();
    const htmlText: string[] = [];
    for (const h of html) {
      for (const t of h.tags) htmlTagSet.add(t);
      for (const d of h.details) detailSet.add(d);
      htmlText.push(h.text);
    }
    const htmlTags = Array.from(htmlTagSet);
    if (htmlTags.length) {
      for (const t of htmlTags) found.add(t);
      lines.push(headerLine('X-IMAIL-SPAM-HTML', Array.from(detailSet).join('; ')));
    }
    this.log.analyzer('html', { tags: htmlTags.join(',') });
    const urls: string[] = [];
    for (const t of msg.texts) for (const u of extractUrls(t)) urls.push(u);
    for (const h of html) for (const u of h.hrefs) urls.push(u);

    const phraseHits = this.phrases.match(joinTexts(msg.subject, msg.texts, htmlText));
    if (phraseHits.length) {
      found.add('PHRASE');
      lines.push(headerLine('X-IMAIL-SPAM-PHRASE', phraseHits.join(', ')));
    }
    this.log.analyzer('phrase', { hits: phraseHits.join(',') });

    const hosts: string[] = [];
    for (const u of urls) {
      const h = hostOf(u);
      if (h) hosts.push(h);
    }
    const listed = this.urls.match(hosts);
    if (listed.length) {
      found.add('URL_BLACKLIST');
      lines.push(headerLine('X-IMAIL-SPAM-URL', listed.slice(0, 5).join(', ')));
    }
    this.log.analyzer('url', { urls: hosts.length, listed: listed.join(',') });

    if (msg.mislabelled && readsJapanese(msg)) found.add('CHARSET_MISLABELLED');

    const ruleHits = this.rules.evaluate(ruleInput(msg, html, urls, this.rules.bodyWords));
    if (ruleHits.length) {
      for (const h of ruleHits) found.add(h.tag as Tag);
      let shown = '';
      for (const h of ruleHits) shown += `${shown ? ', ' : ''}${h.detail ? `${h.tag} (${h.detail.replace(/[^\x20-\x7e]/g, '?')})` : h.tag}`;
      lines.push(headerLine('X-IMAIL-SPAM-RULES', shown));
    }
    let hitTags = '';
    for (const h of ruleHits) hitTags += `${hitTags ? ',' : ''}${h.tag}`;
    this.log.analyzer('rules', { hits: hitTags });
    return { msg, htmlText, urls };
  }

  /** Bayes' vote ([spam] bayes): the score set it puts the message on, and its amounts. */
  private async bayesVote(env: AnalyseEnvelope, { msg, htmlText, urls }: Content, found: Findings): Promise<BayesPart> {
    const s = this.config.spam;
    const out = noBayes();
    const store = this.bayes();
    if (!store) return out;
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
    out.unsure = v.probability !== null && !votes;
    // unsure is not ignorant: Bayes keeps a share of its log-odds term, on the with_bayes scale (scores.ts)
    if (out.unsure) out.unsureOdds = unsureOddsShare(this.rules.about) * weigher(s, this.rules, 'with_bayes')('BAYES_ODDS') * bayesLogOdds(v.probability!, v.logOdds);
    if (votes) {
      out.set = 'with_bayes';
      found.add(bayesBand(v.probability!));
      found.add('BAYES_ODDS');
      out.amounts.BAYES_ODDS = bayesLogOdds(v.probability!, v.logOdds);
    }
    if (votes && v.probability! >= s.bayes_spam_probability) {
      found.add('STATISTICS');
      found.lines.push(headerLine('X-IMAIL-SPAM-STATISTICS', `probability=${v.probability!.toFixed(3)}`));
    } else if (votes && v.probability! <= s.bayes_ham_probability) found.add('STATISTICS_HAM');
    this.log.analyzer('bayes', { p: v.probability === null ? 'untrained' : v.probability.toFixed(4), known: v.known.toFixed(2), script_learnt: v.scriptLearnt === true, unsure: out.unsure, tokens: tokens.length, clues: clueText(v.clues) });
    return out;
  }

  /** DKIM and DMARC ([spam] dkim_dmarc): tags, detail lines and Authentication-Results parts. */
  private async auth(raw: Buffer, env: AnalyseEnvelope, connection: ConnectionResult | undefined, found: Findings, authParts: string[]): Promise<void> {
    const a = await verifyDkimDmarc(raw, this.resolver, { mailFrom: env.mailFrom, spf: connection?.spf }, Math.min(this.config.dns.timeout, 1500), this.dmarcMemo);
    for (const t of a.tags) found.add(t);
    for (const r of a.authResults) authParts.push(r);
    if (a.tags.includes('DKIM_FAIL')) found.lines.push(headerLine('X-IMAIL-SPAM-DKIM', detailsOf(a.details, 'dkim') || 'fail'));
    if (a.tags.includes('DMARC_FAIL')) found.lines.push(headerLine('X-IMAIL-SPAM-DMARC', detailsOf(a.details, 'dmarc') || 'fail'));
    this.log.analyzer('auth', { tags: a.tags.join(','), details: a.details.join('; ') });
  }

  /** The score, the action and the headers from what was found; the verdict line in the spam log. */
  private verdict(env: AnalyseEnvelope, msg: ParsedMessage, found: Findings, bayes: BayesPart, authParts: string[], started: number): AnalyseResult {
    const s = this.config.spam;
    const { tags } = found;
    if (this.whitelisted(env.mailFrom, msg.fromAddress, tags)) found.add('SENDER_WHITELIST');

    let judged = tags;
    if (this.rules.disabled.size) {
      judged = [];
      for (const t of tags) if (!this.rules.disabled.has(t)) judged.push(t);
    }
    const weigh = weigher(s, this.rules, bayes.set);
    // an unsure Bayes: the no_bayes score is put on the with_bayes scale, so one ranking holds both kinds of message
    const d = decide(judged, s, weigh, bayes.amounts, bayes.unsure ? unsureScale(this.rules.about) : undefined, bayes.unsureOdds);
    let headers = '';
    for (const l of found.lines) headers += l + '\r\n';
    headers += summaryLine(d.score, s.spam_threshold, d.action, d.scored) + '\r\n' + authResultsLine(this.config.hostname, authParts) + '\r\n';
    const once: Tag[] = [];
    for (let i = 0; i < judged.length; i++) if (judged.indexOf(judged[i]) === i) once.push(judged[i]);
    const result: AnalyseResult = { tags: once, score: d.score, action: d.action, headers };
    if (d.action === 'reject') {
      const reasons = d.scored.filter((x) => x.score > 0).sort((a, b) => b.score - a.score).slice(0, 4).map((x) => x.tag);
      result.rejectText = `Message refused as spam (score ${fmt(d.score)}: ${reasons.join(', ')})`;
    }
    this.log.verdict(env, {
      score: d.score,
      action: d.action,
      tags: scoredText(d.scored),
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
