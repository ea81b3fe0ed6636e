import { EventEmitter } from 'node:events';

/** A peer to probe: its key and the tunnel address that answers for it (its host allowed IP). */
export interface ProbeTarget {
  publicKey: string;
  address: string;
}

export interface LatencyProberOptions {
  /** Time between the starts of two rounds (default 10 s). A round that runs longer delays the next. */
  intervalMs?: number;
  /** Wait this long for each reply (default 2 s). */
  timeoutMs?: number;
  /** Probes in flight at once (default 16). */
  concurrency?: number;
}

export interface LatencyProberEvents {
  /** One probe's outcome: the round trip in ms, or null when no reply came within the timeout. */
  latency: [{ publicKey: string; address: string; rttMs: number | null }];
  /** Finding the targets or a probe failed (not a timeout: those are `rttMs: null`); probing goes on. */
  error: [Error];
}

/**
 * Measures the round trip to every peer's tunnel address at an interval, with bounded
 * concurrency, so an embedder (LANrage) can drop its own per-peer ping loop. Off unless
 * started; it only reads (targets, probes) and never holds up peer operations. The last result
 * per peer is kept for exporters (`last`), and peers no longer listed are forgotten.
 */
export class LatencyProber extends EventEmitter<LatencyProberEvents> {
  readonly #targets: () => Promise<ProbeTarget[]>;
  readonly #measure: (address: string, timeoutMs: number) => Promise<number | null>;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #last = new Map<string, { address: string; rttMs: number | null; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    targets: () => Promise<ProbeTarget[]>,
    measure: (address: string, timeoutMs: number) => Promise<number | null>,
    options: LatencyProberOptions = {},
  ) {
    super();
    this.#targets = targets;
    this.#measure = measure;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#concurrency = Math.max(1, options.concurrency ?? 16);
  }

  /** The last result per peer (rttMs null: the last probe had no reply). */
  last(): ReadonlyMap<string, { address: string; rttMs: number | null; at: number }> {
    return this.#last;
  }

  /** One round: every target probed, at most `concurrency` at a time. */
  async round(): Promise<void> {
    let targets: ProbeTarget[];
    try {
      targets = await this.#targets();
    } catch (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      return;
    }
    const listed = new Set(targets.map((t) => t.publicKey));
    for (const key of [...this.#last.keys()]) if (!listed.has(key)) this.#last.delete(key);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const t = targets[next++] as ProbeTarget;
        let rttMs: number | null;
        try {
          rttMs = await this.#measure(t.address, this.#timeoutMs);
        } catch (err) {
          if (this.listenerCount('error') > 0) this.emit('error', err as Error);
          continue;
        }
        this.#last.set(t.publicKey, { address: t.address, rttMs, at: Date.now() });
        this.emit('latency', { publicKey: t.publicKey, address: t.address, rttMs });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, targets.length) }, worker));
  }

  start(): this {
    if (this.#running) return this;
    this.#running = true;
    const tick = async () => {
      const started = Date.now();
      await this.round();
      if (this.#running) this.#timer = setTimeout(tick, Math.max(0, this.#intervalMs - (Date.now() - started)));
    };
    this.#timer = setTimeout(tick, 0);
    return this;
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * The address a peer answers on inside the tunnel: its first host route (/32 or /128), the
 * way LANrage gives each peer its virtual IP. Peers without one (only subnets) are not probed.
 */
export function tunnelAddressOf(allowedIPs: readonly string[]): string | null {
  for (const cidr of allowedIPs) {
    const slash = cidr.lastIndexOf('/');
    const bits = cidr.slice(slash + 1);
    if ((bits === '32' && !cidr.includes(':')) || (bits === '128' && cidr.includes(':'))) return cidr.slice(0, slash);
  }
  return null;
}
