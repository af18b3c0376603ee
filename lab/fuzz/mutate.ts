// Mutations for the protocol fuzzer: from a session's valid units, a plan with some units out of order and
// some steps byte-flipped, given NUL/CR/LF/8-bit bytes, huge arguments, deep nesting, truncated, repeated as
// a pipelined burst, or cut by an abrupt close. Deterministic for a given Rng; no I/O.
import type { Rng } from './rng.js';
import type { Plan, Protocol, Step, Unit } from './plan.js';

export const MUTATIONS = ['flip', 'nul', 'cr', 'lf', 'high', 'huge', 'deep', 'truncate', 'repeat', 'burst', 'close', 'bare-lf', 'empty'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** Where to insert inside a line: before its final CRLF when it has one. */
function body(b: Buffer): number {
  return b.length >= 2 && b[b.length - 2] === 13 && b[b.length - 1] === 10 ? b.length - 2 : b.length;
}

function insert(b: Buffer, at: number, x: Buffer): Buffer {
  return Buffer.concat([b.subarray(0, at), x, b.subarray(at)]);
}

function mutateStep(rng: Rng, s: Step, m: Mutation, protocol: Protocol, next: Step[]): { step: Step; consumed: number } {
  const b = s.bytes;
  const at = rng.int(0, body(b));
  const out: Step = { ...s, accept: undefined, mutated: m };
  switch (m) {
    case 'flip': {
      const c = Buffer.from(b);
      if (c.length) c[rng.int(0, c.length - 1)] ^= rng.int(1, 255);
      out.bytes = c;
      break;
    }
    case 'nul':
      out.bytes = insert(b, at, Buffer.alloc(rng.int(1, 8)));
      break;
    case 'cr':
      out.bytes = insert(b, at, Buffer.from('\r'));
      break;
    case 'lf':
      out.bytes = insert(b, at, Buffer.from('\n'));
      break;
    case 'high':
      out.bytes = insert(b, at, Buffer.from(Array.from({ length: rng.int(1, 16) }, () => rng.int(0x80, 0xff))));
      break;
    case 'huge': {
      const n = rng.pick([600, 1001, 4097, 8193, 65_537, 1_048_577]);
      const fill = rng.pick(['A', 'x ', '%', '\u00e9', '=']);
      out.bytes = insert(b, body(b), Buffer.from(' ' + fill.repeat(Math.ceil(n / fill.length)).slice(0, n), 'latin1'));
      break;
    }
    case 'deep': {
      const d = rng.pick([50, 200, 1000, 10_000]);
      const open = protocol === 'imap' ? '(' : rng.pick(['(', '<', '[']);
      const close = { '(': ')', '<': '>', '[': ']' }[open]!;
      out.bytes = insert(b, body(b), Buffer.from(' ' + open.repeat(d) + 'ALL' + (rng.chance(0.5) ? close.repeat(d) : ''), 'latin1'));
      break;
    }
    case 'truncate':
      out.bytes = b.subarray(0, rng.int(0, Math.max(0, body(b) - 1)));
      break;
    case 'repeat':
      out.bytes = Buffer.concat(Array.from({ length: rng.pick([2, 5, 20, 100]) }, () => b));
      break;
    case 'burst': {
      const k = Math.min(next.length, rng.int(1, 6));
      out.bytes = Buffer.concat([b, ...next.slice(0, k).map((x) => x.bytes)]);
      return { step: out, consumed: k };
    }
    case 'close':
      out.bytes = b.subarray(0, rng.int(0, b.length));
      out.close = true;
      break;
    case 'bare-lf':
      out.bytes = Buffer.from(b.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
      break;
    case 'empty':
      out.bytes = Buffer.from(rng.pick(['\r\n', '\n', '\r\n\r\n', ' \r\n', '\t\r\n']));
      break;
  }
  return { step: out, consumed: 0 };
}

/** A plan from units: maybe out of sequence, maybe mutated (about a quarter of sessions stay clean). */
export function mutatePlan(rng: Rng, protocol: Protocol, seed: number, units: Unit[]): Plan {
  const mutations: string[] = [];
  if (units.length > 2 && rng.chance(0.15)) {
    rng.shuffle(units);
    for (const u of units) if (u.ordered) for (const s of u.steps) s.accept = undefined;
    mutations.push('out-of-sequence');
  }
  const steps = units.flatMap((u) => u.steps);
  if (!rng.chance(0.75)) return { protocol, seed, steps, mutations };
  const which = new Set<number>();
  for (let k = rng.int(1, 3); k > 0; k--) which.add(rng.int(0, steps.length - 1));
  const out: Step[] = [];
  for (let i = 0; i < steps.length; i++) {
    if (!which.has(i)) {
      out.push(steps[i]);
      continue;
    }
    const m = rng.pick(MUTATIONS);
    const r = mutateStep(rng, steps[i], m, protocol, steps.slice(i + 1));
    mutations.push(`${m}@${out.length}`);
    out.push(r.step);
    i += r.consumed;
    if (r.step.close) break;
  }
  return { protocol, seed, steps: out, mutations };
}
