// RFC 5229 variables: "${name}" and match variables "${1}" expanded in strings (unknown names expand to "",
// malformed references stay as written, expansion is never recursive), the set modifiers, and the value-size
// bound. Variable names are case-insensitive; values are truncated at the limit, never grown without bound.

export interface VariableStore {
  vars: Map<string, string>;
  /** Variables declared `global` by include scripts (RFC 6609), shared across the whole evaluation. */
  globals: Map<string, string>;
  globalNames: Set<string>;
  match: string[];
  maxLength: number;
  maxVariables: number;
}

export function newStore(maxLength: number, maxVariables: number, globals = new Map<string, string>()): VariableStore {
  return { vars: new Map(), globals, globalNames: new Set(), match: [], maxLength, maxVariables };
}

export function truncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let t = s.slice(0, max);
  const last = t.charCodeAt(t.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) t = t.slice(0, -1);
  return t;
}

export function lookup(store: VariableStore, name: string): string {
  const lower = name.toLowerCase();
  if (/^[0-9]+$/.test(lower)) return store.match[Number(lower)] ?? '';
  if (lower.startsWith('global.')) return store.globals.get(lower.slice(7)) ?? '';
  if (store.globalNames.has(lower)) return store.globals.get(lower) ?? '';
  return store.vars.get(lower) ?? '';
}

export function assign(store: VariableStore, name: string, value: string): boolean {
  const lower = name.toLowerCase();
  const v = truncate(value, store.maxLength);
  if (store.globalNames.has(lower)) {
    store.globals.set(lower, v);
    return true;
  }
  if (!store.vars.has(lower) && store.vars.size >= store.maxVariables) return false;
  store.vars.set(lower, v);
  return true;
}

const REF = /\$\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*|[0-9]+)\}/g;

export function expand(store: VariableStore, s: string): string {
  if (!s.includes('${')) return s;
  return truncate(
    s.replace(REF, (_m, name: string) => lookup(store, name)),
    store.maxLength,
  );
}

const WILDCARD = /[*?\\]/g;
const REGEX_SPECIAL = /[.*+?^${}()|[\]\\]/g;

export function applyModifiers(value: string, modifiers: string[]): string {
  let v = value;
  for (const m of modifiers) {
    switch (m) {
      case 'lower':
        v = v.toLowerCase();
        break;
      case 'upper':
        v = v.toUpperCase();
        break;
      case 'lowerfirst':
        v = v.slice(0, 1).toLowerCase() + v.slice(1);
        break;
      case 'upperfirst':
        v = v.slice(0, 1).toUpperCase() + v.slice(1);
        break;
      case 'quotewildcard':
        v = v.replace(WILDCARD, (c) => '\\' + c);
        break;
      case 'quoteregex':
        v = v.replace(REGEX_SPECIAL, (c) => '\\' + c);
        break;
      case 'length':
        v = String(Array.from(v).length);
        break;
    }
  }
  return v;
}
