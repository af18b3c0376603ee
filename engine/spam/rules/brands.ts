// Brands a message may claim to be (rules' `brands` data): their names in every view of the text, and the ASCII
// words a host name imitates them with (amaz0n, paypa1). Compiled once per rule set; the checks ask it whether a
// text names a brand, whether a host is one of the brand's domains, and which brand a look-alike host imitates.
import { inDomain } from '../url.js';
import { LiteralSet } from './aho.js';
import { literalView, type Views } from './normalise.js';

export interface Brand {
  name: string;
  /** Names as written (any script). */
  words: string[];
  domains: string[];
}

/** Brands compiled for the checks: their words in each view, their ASCII words for host names. */
export class BrandBook {
  readonly brands: Brand[];
  private readonly wordSets = new Map<'words' | 'skeleton', { set: LiteralSet; owner: number[] }>();
  /** [brand index, ASCII word] for host-name tests. */
  private readonly hostWords: [number, string][] = [];

  constructor(brands: Brand[]) {
    this.brands = brands;
    const per: Record<'words' | 'skeleton', { lits: string[]; owner: number[] }> = { words: { lits: [], owner: [] }, skeleton: { lits: [], owner: [] } };
    brands.forEach((b, i) => {
      for (const w of b.words) {
        const lv = literalView(w);
        const v = lv.view === 'folded' ? 'words' : lv.view;
        per[v].lits.push(lv.needle);
        per[v].owner.push(i);
        if (/^[a-z0-9]+$/i.test(w)) this.hostWords.push([i, w.toLowerCase()]);
      }
    });
    for (const v of ['words', 'skeleton'] as const) this.wordSets.set(v, { set: new LiteralSet(per[v].lits), owner: per[v].owner });
  }

  /** Brands named in a text (by index). */
  named(views: Views): Set<number> {
    const out = new Set<number>();
    for (const v of ['words', 'skeleton'] as const) {
      const { set, owner } = this.wordSets.get(v)!;
      for (const id of set.search(views[v])) out.add(owner[id]);
    }
    return out;
  }

  owns(brand: number, host: string): boolean {
    return this.brands[brand].domains.some((d) => inDomain(host, d));
  }

  /** A brand whose name (or a look-alike spelling of it) a host uses while not being one of its domains. */
  imitatedBy(host: string): string | null {
    if (/^[\d.]+$/.test(host) || host.startsWith('[')) return null;
    const labels = host.split('.');
    const parts = labels.slice(0, -1).flatMap((l) => l.split('-')).map(unconfuse);
    for (const [i, w] of this.hostWords) {
      const hit = parts.some((p) => p === w || (w.length >= 6 && p.startsWith(w)));
      if (hit && !this.owns(i, host)) return this.brands[i].name;
    }
    return null;
  }
}

/** Digits and doubled letters read as the letters they imitate: amaz0n → amazon, paypa1 → paypal, rnicrosoft → microsoft. */
function unconfuse(s: string): string {
  return s.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/[013457]/g, (d) => ({ '0': 'o', '1': 'l', '3': 'e', '4': 'a', '5': 's', '7': 't' })[d]!);
}
