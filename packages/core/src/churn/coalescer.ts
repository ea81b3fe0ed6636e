import type { PartialApplyDetails, WireGuardBackend } from '../backend.js';
import { isLanrageError, type LanrageError } from '../errors.js';
import type { PeerConfig } from '../types.js';

export interface CoalescerOptions {
  /** How long to gather operations before sending (0 = the same tick). Default 0. */
  windowMs?: number;
  /** At most this many operations in one setDevice call. Default 10,000. */
  maxBatch?: number;
}

interface Pending {
  op: PeerConfig;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Packs peer operations from independent callers into as few backend calls as possible: all
 * operations issued for an interface in the same tick (or within `windowMs`) go out in one
 * setDevice, which the kernel backend packs into as few netlink messages as fit. Every caller
 * still gets its own result. Order per interface is kept (batches are sent one after another,
 * operations in call order), so an add then a remove of the same key never reorders. When a
 * batch fails, the operations it applied are resolved, and the rest are retried one at a time so
 * one bad peer fails alone and its neighbours still land.
 */
export class PeerCoalescer {
  readonly #backend: WireGuardBackend;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #queues = new Map<string, Pending[]>();
  readonly #scheduled = new Set<string>();
  readonly #chains = new Map<string, Promise<void>>();
  /** Batches sent so far (for tests and metrics). */
  batches = 0;

  constructor(backend: WireGuardBackend, options: CoalescerOptions = {}) {
    this.#backend = backend;
    this.#windowMs = options.windowMs ?? 0;
    this.#maxBatch = options.maxBatch ?? 10_000;
  }

  /** Queues one peer operation on `name`; resolves when it is applied. */
  apply(name: string, op: PeerConfig): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let q = this.#queues.get(name);
      if (!q) {
        q = [];
        this.#queues.set(name, q);
      }
      q.push({ op, resolve, reject });
      if (!this.#scheduled.has(name)) {
        this.#scheduled.add(name);
        const flush = () => {
          this.#scheduled.delete(name);
          this.#flush(name);
        };
        if (this.#windowMs > 0) setTimeout(flush, this.#windowMs);
        else setImmediate(flush);
      }
    });
  }

  #flush(name: string): void {
    const q = this.#queues.get(name) ?? [];
    this.#queues.delete(name);
    for (let i = 0; i < q.length; i += this.#maxBatch) {
      const batch = q.slice(i, i + this.#maxBatch);
      const prev = this.#chains.get(name) ?? Promise.resolve();
      const next = prev.then(() => this.#send(name, batch));
      this.#chains.set(
        name,
        next.catch(() => undefined),
      );
    }
  }

  async #send(name: string, batch: Pending[]): Promise<void> {
    this.batches++;
    try {
      await this.#backend.setDevice(name, { peers: batch.map((p) => p.op) });
      for (const p of batch) p.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      // Resolve what the backend says it applied; retry the rest one by one, in order.
      let retry = batch;
      if (isLanrageError(err, 'PARTIAL_APPLY')) {
        const details = err.details as unknown as PartialApplyDetails;
        const applied = new Set(details.appliedPeers ?? []);
        for (const i of applied) batch[i]?.resolve();
        retry = batch.filter((_, i) => !applied.has(i));
      } else if (isLanrageError(err) && !isPerOperationError(err)) {
        // The interface itself failed (gone, no permission): every operation gets that error.
        for (const p of batch) p.reject(err);
        return;
      }
      for (const p of retry) {
        try {
          this.batches++;
          await this.#backend.setDevice(name, { peers: [p.op] });
          p.resolve();
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  /** Resolves when everything queued so far has been sent. */
  async drain(): Promise<void> {
    while (this.#scheduled.size > 0) await new Promise((r) => setImmediate(r));
    await Promise.all([...this.#chains.values()]);
  }
}

/** Errors that can come from one operation of a batch (so the others may still succeed). */
function isPerOperationError(err: LanrageError): boolean {
  return !['INTERFACE_NOT_FOUND', 'NOT_WIREGUARD', 'PERMISSION_DENIED', 'KERNEL_MODULE_MISSING', 'PROCESS_EXITED', 'TIMEOUT'].includes(err.code);
}
