// The drug names pharma_obfuscated looks for and the signs that stand for letters in obfuscated words, shared by
// the check (checks.ts) and the body's one pass that tells when the check cannot hit (body-views.ts).
import { LiteralSet } from './aho.js';

export const DRUGS = ['viagra', 'cialis', 'levitra', 'xanax', 'valium', 'vicodin', 'phentermine', 'propecia', 'tramadol'];
export const DRUG_SET = new LiteralSet(DRUGS);
/** Signs that stand for letters in obfuscated words. */
export const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', '|': 'i', '!': 'i', '$': 's' };
