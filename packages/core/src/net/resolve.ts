import { lookup } from 'node:dns/promises';
import { LanrageError } from '../errors.js';
import { type Endpoint, formatEndpoint } from '../validation/endpoint.js';
import { formatIp, parseIp } from '../validation/ip.js';

export interface ResolveOptions {
  /** Total time budget for all attempts (default 20 s). */
  timeoutMs?: number;
  /** Attempts for transient failures (default 15, as wg's WG_ENDPOINT_RESOLUTION_RETRIES). */
  attempts?: number;
  /** Injected for tests. */
  lookup?: (host: string) => Promise<{ address: string; family: number }>;
  /** Cancels the resolution: it rejects at once with the signal's reason (E5). */
  signal?: AbortSignal;
}

const PERMANENT = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA', 'ESERVFAIL']);

/**
 * Turns a host-name endpoint into an IP endpoint (IP endpoints are returned as they are).
 * Bounded and off the JS thread (getaddrinfo runs in libuv's pool): a permanent failure
 * (NXDOMAIN) fails at once; transient ones retry with backoff, 1 s growing ×1.2, within
 * the time budget, and cancellable with `signal` (E5). Errors are INVALID_ENDPOINT or TIMEOUT.
 */
export async function resolveEndpoint(ep: Endpoint, opts: ResolveOptions = {}): Promise<Endpoint> {
  if (ep.family !== 0) return ep;
  const budget = opts.timeoutMs ?? 20_000;
  const attempts = opts.attempts ?? 15;
  const doLookup = opts.lookup ?? ((host: string) => lookup(host, { verbatim: true }));
  const deadline = Date.now() + budget;
  const signal = opts.signal;
  signal?.throwIfAborted();
  let delay = 1000;
  let lastCode = 'unknown';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    try {
      const res = await bounded(doLookup(ep.host), left, signal);
      const addr = parseIp(res.address);
      if (!addr) throw new LanrageError('INVALID_ENDPOINT', `${ep.host} resolved to something that is not an IP address`);
      const host = formatIp(addr);
      return { family: addr.family, host, port: ep.port, text: formatEndpoint(addr.family, host, ep.port), address: addr.bytes, resolvedFrom: ep.text };
    } catch (err) {
      if (err instanceof LanrageError || signal?.aborted) throw err;
      lastCode = (err as NodeJS.ErrnoException).code ?? 'unknown';
      if (PERMANENT.has(lastCode)) {
        throw new LanrageError('INVALID_ENDPOINT', `host name ${ep.host} does not resolve (${lastCode})`, { cause: err });
      }
    }
    const wait = Math.min(delay, deadline - Date.now());
    if (wait <= 0) break;
    await bounded(new Promise((r) => setTimeout(r, wait)), Number.POSITIVE_INFINITY, signal);
    delay = Math.min(delay * 1.2, 20_000);
  }
  throw new LanrageError('TIMEOUT', `could not resolve ${ep.host} within ${budget} ms (last error ${lastCode})`, {
    remedy: `Check the host name and this machine's DNS (/etc/resolv.conf), or give the endpoint as an IP address; the timeout setting (LANRAGE_TIMEOUT) is how long lanrage waits.`,
  });
}

/** `p`, or ETIMEOUT after `ms`, or the signal's reason as soon as it aborts. */
function bounded<T>(p: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = Number.isFinite(ms) ? setTimeout(() => done(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' }))), ms) : undefined;
    const onAbort = () => done(() => reject(signal?.reason));
    const done = (settle: () => void) => {
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => done(() => resolve(v)),
      (e) => done(() => reject(e)),
    );
  });
}
