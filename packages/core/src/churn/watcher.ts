import { EventEmitter } from 'node:events';
import type { WireGuardBackend } from '../backend.js';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import type { PeerStatus } from '../types.js';

/** What a monitoring loop needs of a peer. */
export interface PeerStats {
  publicKey: string;
  endpoint: string | null;
  lastHandshake: Date | null;
  rxBytes: bigint;
  txBytes: bigint;
}

export function statsOf(p: PeerStatus): PeerStats {
  return { publicKey: p.publicKey.toBase64(), endpoint: p.endpoint, lastHandshake: p.lastHandshake, rxBytes: p.rxBytes, txBytes: p.txBytes };
}

/**
 * Every peer of an interface as an async iterator: the backend's stream when it has one (the
 * kernel backend converts peer by peer from one flat read), else its device read.
 */
export async function* iteratePeers(backend: WireGuardBackend, name: string): AsyncGenerator<PeerStatus> {
  const stats = backend.capabilities.stats;
  if (stats) {
    yield* stats.iteratePeers(name);
    return;
  }
  for (const p of (await backend.getDevice(name)).peers) yield p;
}

/** Reads the stats of every peer (the backend's fast path when it has one). */
export async function readPeerStats(backend: WireGuardBackend, name: string): Promise<PeerStats[]> {
  const stats = backend.capabilities.stats;
  if (stats) return stats.getStats(name);
  return (await backend.getDevice(name)).peers.map(statsOf);
}

export interface PeerWatcherOptions {
  /** Poll interval (default 5 s). */
  intervalMs?: number;
  /**
   * A peer from which nothing arrived (no handshake, no received bytes) for this long is stale
   * (default 180 s, WireGuard's REJECT_AFTER_TIME). A live peer with a persistent keepalive
   * sends at least every keepalive interval, so anything above it works.
   */
  staleAfterMs?: number;
  now?: () => number;
}

export interface PeerWatcherEvents {
  /** A new handshake completed (lastHandshake moved forward). */
  handshake: [{ publicKey: string; at: Date }];
  /** The peer's endpoint changed (roaming, or a relay switch). */
  'endpoint-changed': [{ publicKey: string; from: string | null; to: string | null }];
  /** Nothing received (no handshake, no bytes) for staleAfterMs; emitted once until the peer is heard from again. */
  stale: [{ publicKey: string; lastHandshake: Date | null; silentForMs: number }];
  /** A stale peer was heard from again (a handshake or received bytes). */
  recovered: [{ publicKey: string; staleForMs: number }];
  /** A poll (or observe) is done and its events are out. */
  polled: [];
  /** A poll failed; polling goes on. */
  error: [Error];
}

/**
 * Liveness without subprocesses: polls the stats of an interface and emits `handshake`,
 * `endpoint-changed` and `stale`, so no per-peer ping loop is needed to know a peer is alive.
 */
export class PeerWatcher extends EventEmitter<PeerWatcherEvents> {
  readonly #backend: WireGuardBackend;
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #staleAfterMs: number;
  readonly #now: () => number;
  /** Per peer: last endpoint, last handshake (ms), received bytes, when it was last heard from (ms), stale since (ms) or 0, the last poll that saw it. */
  readonly #known = new Map<string, { endpoint: string | null; handshake: number; rx: bigint; heard: number; staleSince: number; poll: number }>();
  #polls = 0;
  #observing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #first = true;

  constructor(backend: WireGuardBackend, name: string, options: PeerWatcherOptions = {}) {
    super();
    this.#backend = backend;
    this.#name = name;
    this.#intervalMs = options.intervalMs ?? 5000;
    this.#staleAfterMs = options.staleAfterMs ?? 180_000;
    this.#now = options.now ?? Date.now;
  }

  /** One poll: reads the stats, compares with the previous poll and emits events. */
  async poll(): Promise<void> {
    let stats: PeerStats[];
    try {
      stats = await readPeerStats(this.#backend, this.#name);
    } catch (err) {
      if (this.listenerCount('error') > 0) this.emit('error', err as Error);
      return;
    }
    await this.observe(stats);
  }

  /**
   * Takes stats read elsewhere (an exporter's scrape) as a poll: events are emitted as if
   * polled, so one read serves both. In time slices (10,000 peers is a long loop in an
   * emulated VM).
   */
  observe(stats: readonly PeerStats[]): Promise<void> {
    // One at a time, in call order: an older read finishing after a newer one would drop the
    // peers the newer one marked and report its stale values as changes.
    const run = this.#observing.then(() => this.#observe(stats));
    this.#observing = run.catch(() => undefined);
    return run;
  }

  async #observe(stats: readonly PeerStats[]): Promise<void> {
    const now = this.#now();
    // Each poll marks the peers it saw with its own number; those not marked are gone. (A Set of
    // 10,000 keys per poll was a third of an exporter's scrape in the emulated VM.)
    const poll = ++this.#polls;
    const slicer = new TimeSlicer();
    for (const s of stats) {
      const pause = slicer.next();
      if (pause) await pause;
      const hs = s.lastHandshake?.getTime() ?? 0;
      const prev = this.#known.get(s.publicKey);
      // A peer seen for the first time counts as heard from at its last handshake (never: now,
      // so a new peer gets staleAfterMs to come up before it is called stale).
      const state = prev ?? { endpoint: s.endpoint, handshake: hs, rx: s.rxBytes, heard: hs || now, staleSince: 0, poll };
      state.poll = poll;
      if (prev) {
        if (s.endpoint !== prev.endpoint) this.emit('endpoint-changed', { publicKey: s.publicKey, from: prev.endpoint, to: s.endpoint });
        if (hs > prev.handshake && s.lastHandshake) this.emit('handshake', { publicKey: s.publicKey, at: s.lastHandshake });
        if (hs > prev.handshake || s.rxBytes > prev.rx) state.heard = now;
      } else if (!this.#first && s.lastHandshake) {
        this.emit('handshake', { publicKey: s.publicKey, at: s.lastHandshake });
      }
      state.endpoint = s.endpoint;
      state.handshake = Math.max(state.handshake, hs);
      state.rx = s.rxBytes;
      const silent = now - state.heard;
      if (state.staleSince !== 0 && silent <= this.#staleAfterMs) {
        this.emit('recovered', { publicKey: s.publicKey, staleForMs: now - state.staleSince });
        state.staleSince = 0;
      } else if (state.staleSince === 0 && silent > this.#staleAfterMs) {
        state.staleSince = now;
        this.emit('stale', { publicKey: s.publicKey, lastHandshake: s.lastHandshake, silentForMs: silent });
      }
      if (!prev) this.#known.set(s.publicKey, state);
    }
    if (this.#known.size > stats.length) for (const [k, state] of this.#known) if (state.poll !== poll) this.#known.delete(k);
    this.#first = false;
    this.emit('polled');
  }

  /** Up: the peer completed a handshake at some point and is not stale (as of the last poll). */
  isUp(publicKey: string): boolean {
    const state = this.#known.get(publicKey);
    return state !== undefined && state.handshake > 0 && state.staleSince === 0;
  }

  start(): this {
    if (this.#timer) return this;
    const tick = async () => {
      await this.poll();
      if (this.#timer) this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#timer = setTimeout(tick, 0);
    return this;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
