// A time limit as an AbortSignal, for work that takes one (fetch) or that races one (a database probe): the
// monitor's HTTP checks, the alert webhook and `tegami status`'s database probe all time out through it, with the
// same "no answer within N ms" reason.

/** Like AbortSignal.timeout, but its timer holds the event loop (a fetch nobody answers still ends). */
export function deadline(ms: number, also?: AbortSignal): { signal: AbortSignal; clear(): void } {
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  const onAbort = () => ac.abort(also!.reason);
  also?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ac.signal,
    clear: () => {
      clearTimeout(t);
      also?.removeEventListener('abort', onAbort);
    },
  };
}

/** A promise that rejects with the signal's reason once it aborts (to race work that takes no signal). */
export function whenAborted(signal: AbortSignal): Promise<never> {
  const p = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  p.catch(() => undefined); // nobody may be racing it any more when it fires
  return p;
}
