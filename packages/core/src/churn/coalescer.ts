import type { WireGuardBackend } from '../backend.js';
import { isLanrageError, type LanrageError } from '../errors.js';
import { KeyedQueue } from '../event-loop/keyed-queue.js';
import { TimeSlicer } from '../event-loop/time-slicer.js';
import { type ResolveOptions, resolveEndpoint } from '../net/resolve.js';
import { type NormalizedPeer, normalizePeer } from '../normalize.js';
import type { PeerConfig } from '../types.js';

/**
 * What the owner of derived state (NetworkManager's index and routes) plugs into the batches.
 * `C` is whatever the caller attached to each operation (e.g. its normalised form).
 */
export interface CoalescerHooks<C> {
  /**
   * Runs when the batch is about to be sent, for each operation in call order, after every
   * earlier batch and exclusive task is done: throw to fail this operation alone (it is not
   * sent). It sees the operations admitted before it as applied.
   */
  admit?(name: string, op: NormalizedPeer, context: C): void;
  /**
   * Started in the same tick as the batch's setDevice (so a backend with one I/O thread handles
   * both on one wake), e.g. the route changes the admitted operations need. Callers settle
   * after both.
   */
  alongside?(name: string): Promise<void> | undefined;
  /**
   * After a batch in which anything failed (an operation, or `alongside`): repairs derived
   * state from the device before the callers settle. When it throws, the callers whose
   * operation landed get that error.
   */
  recover?(name: string): Promise<void>;
}

export interface CoalescerOptions<C = undefined> {
  /**
   * How long to gather operations before sending. Default 0: until the event loop's next turn
   * (setImmediate), so operations issued from separate I/O callbacks of one turn share a batch.
   */
  windowMs?: number;
  /**
   * Gather only what the current synchronous run and its microtasks issue (no event-loop
   * turn before sending): the lowest latency for a caller that awaits each operation, while
   * a loop that issues many at once still makes one batch. Overrides windowMs.
   */
  sameTick?: boolean;
  /** At most this many operations in one setDevice call. Default 10,000. */
  maxBatch?: number;
  /** How host-name endpoints are resolved (each operation's lookup is bounded; a failure fails that operation alone). */
  resolve?: ResolveOptions;
  hooks?: CoalescerHooks<C>;
}

/** Settlements between microtask hops in a batch's settle loop. */
const SETTLE_GROUP = 32;

interface Pending<C> {
  op: NormalizedPeer;
  context: C;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Packs peer operations from independent callers into as few backend calls as possible: all
 * operations issued for an interface in the same tick (or within `windowMs`) go out in one
 * setDevice, which the kernel backend packs into as few netlink messages as fit. Every caller
 * still gets its own result. Order per interface is kept (batches and exclusive tasks run one
 * after another, operations in call order), so an add then a remove of the same key never
 * reorders. When a batch fails, the operations it applied are resolved, and the rest are
 * retried one at a time so one bad peer fails alone and its neighbours still land.
 */
export class PeerCoalescer<C = undefined> {
  readonly #backend: WireGuardBackend;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #sameTick: boolean;
  readonly #hooks: CoalescerHooks<C>;
  readonly #resolve: ResolveOptions | undefined;
  readonly #queues = new Map<string, Pending<C>[]>();
  readonly #timers = new Map<string, NodeJS.Immediate | NodeJS.Timeout>();
  /** Batches and exclusive tasks of one interface, one at a time in order. */
  readonly #order = new KeyedQueue();
  /** Batches sent so far (for tests and metrics). */
  batches = 0;

  constructor(backend: WireGuardBackend, options: CoalescerOptions<C> = {}) {
    this.#backend = backend;
    this.#windowMs = options.windowMs ?? 0;
    this.#maxBatch = options.maxBatch ?? 10_000;
    this.#sameTick = options.sameTick === true;
    this.#hooks = options.hooks ?? {};
    this.#resolve = options.resolve;
  }

  /**
   * Queues one peer operation on `name`; resolves when it is applied. The operation is
   * validated here, once (a bad one rejects at once and is never queued); a host-name endpoint
   * is resolved when its batch is about to be sent.
   */
  apply(name: string, op: PeerConfig, context?: C): Promise<void> {
    let norm: NormalizedPeer;
    try {
      norm = normalizePeer(op);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.applyNormalized(name, norm, context);
  }

  /** `apply` for an operation its caller has validated already (NetworkManager's edge); it is not checked again. */
  applyNormalized(name: string, op: NormalizedPeer, context?: C): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let q = this.#queues.get(name);
      if (!q) {
        q = [];
        this.#queues.set(name, q);
      }
      q.push({ op, context: context as C, resolve, reject });
      if (this.#sameTick) {
        if (q.length === 1) queueMicrotask(() => this.#flush(name));
      } else if (!this.#timers.has(name)) {
        const flush = () => this.#flush(name);
        this.#timers.set(name, this.#windowMs > 0 ? setTimeout(flush, this.#windowMs) : setImmediate(flush));
      }
    });
  }

  /**
   * Runs `task` alone on `name`: after every operation queued before this call is sent and
   * settled, and before any queued after it. Its result is the task's.
   */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
    this.#flush(name);
    return this.#order.run(name, task);
  }

  #flush(name: string): void {
    const timer = this.#timers.get(name);
    if (timer !== undefined) {
      clearTimeout(timer as NodeJS.Timeout);
      clearImmediate(timer as NodeJS.Immediate);
      this.#timers.delete(name);
    }
    const q = this.#queues.get(name);
    if (!q) return;
    this.#queues.delete(name);
    for (let i = 0; i < q.length; i += this.#maxBatch) {
      const batch = q.slice(i, i + this.#maxBatch);
      // #send settles every caller itself; the catch only guards against a bug leaving one hanging.
      this.#order
        .run(name, () => this.#send(name, batch))
        .catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        });
    }
  }

  /** Never rejects: every caller of the batch gets its own outcome. */
  async #send(name: string, queued: Pending<C>[]): Promise<void> {
    const batch = await this.#admit(name, await this.#resolved(queued));
    if (batch.length === 0) return;
    this.batches++;
    const landed: Pending<C>[] = [];
    const failed = new Map<Pending<C>, unknown>();
    let sideError: unknown;
    let sent: Promise<void>;
    try {
      sent = this.#backend.setDevice(name, { replacePeers: false, peers: batch.map((p) => p.op) });
    } catch (err) {
      sent = Promise.reject(err); // a backend that throws instead of rejecting
    }
    const side = this.#hooks.alongside?.(name)?.catch((err: unknown) => {
      sideError = err;
    });
    try {
      await sent;
      landed.push(...batch);
    } catch (err) {
      await this.#afterFailure(name, batch, err, landed, failed);
    }
    await side;
    let repairError: unknown;
    if ((failed.size > 0 || sideError !== undefined) && this.#hooks.recover) {
      try {
        await this.#hooks.recover(name);
        sideError = undefined; // the repair put the routes right
      } catch (err) {
        repairError = err;
      }
    }
    // Settled in time slices: each caller's continuation runs in the slice that settles it.
    // Settling is cheap, what the callers do next is not (logging, their own code): every
    // SETTLE_GROUP settlements a microtask hop lets those continuations run before the
    // slicer reads the clock, so their cost counts against the turn's budget.
    const slicer = new TimeSlicer();
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i] as Pending<C>;
      if (i % SETTLE_GROUP === SETTLE_GROUP - 1) await undefined;
      const pause = slicer.next();
      if (pause) await pause;
      if (failed.has(p)) p.reject(failed.get(p));
      else if (repairError !== undefined || sideError !== undefined) p.reject(repairError ?? sideError);
      else p.resolve();
    }
  }

  /** The operations whose host-name endpoint resolved (a lookup that fails fails its operation alone), in call order. */
  async #resolved(queued: Pending<C>[]): Promise<Pending<C>[]> {
    const lookups: Promise<void>[] = [];
    const failed = new Set<Pending<C>>();
    for (const p of queued) {
      const ep = p.op.endpoint;
      if (ep === undefined || ep.family !== 0) continue;
      lookups.push(
        resolveEndpoint(ep, this.#resolve).then(
          (resolved) => {
            p.op.endpoint = resolved;
          },
          (err: unknown) => {
            failed.add(p);
            p.reject(err);
          },
        ),
      );
    }
    if (lookups.length === 0) return queued;
    await Promise.all(lookups);
    return failed.size === 0 ? queued : queued.filter((p) => !failed.has(p));
  }

  /** The operations `admit` lets through, in call order (in time slices for a large batch). */
  async #admit(name: string, queued: Pending<C>[]): Promise<Pending<C>[]> {
    const admit = this.#hooks.admit;
    if (!admit) return queued;
    const out: Pending<C>[] = [];
    const slicer = new TimeSlicer();
    for (const p of queued) {
      const pause = slicer.next();
      if (pause) await pause;
      try {
        admit(name, p.op, p.context);
        out.push(p);
      } catch (err) {
        p.reject(err);
      }
    }
    return out;
  }

  /** Sorts a failed batch into operations that landed and failed ones (retried one by one). */
  async #afterFailure(name: string, batch: Pending<C>[], err: unknown, landed: Pending<C>[], failed: Map<Pending<C>, unknown>): Promise<void> {
    if (batch.length === 1) {
      failed.set(batch[0] as Pending<C>, err);
      return;
    }
    let retry = batch;
    if (isLanrageError(err, 'PARTIAL_APPLY')) {
      const applied = new Set(err.details.appliedPeers ?? []);
      for (const i of applied) if (batch[i]) landed.push(batch[i]);
      retry = batch.filter((_, i) => !applied.has(i));
    } else if (isLanrageError(err) && !isPerOperationError(err)) {
      // The interface itself failed (gone, no permission): every operation gets that error.
      for (const p of batch) failed.set(p, err);
      return;
    }
    for (const p of retry) {
      try {
        this.batches++;
        await this.#backend.setDevice(name, { replacePeers: false, peers: [p.op] });
        landed.push(p);
      } catch (e) {
        failed.set(p, e);
      }
    }
  }

  /** Resolves when everything queued so far has been sent. */
  async drain(): Promise<void> {
    for (const name of [...this.#queues.keys()]) this.#flush(name);
    await this.#order.drain();
  }
}

/** Errors that can come from one operation of a batch (so the others may still succeed). */
function isPerOperationError(err: LanrageError): boolean {
  return !['INTERFACE_NOT_FOUND', 'NOT_WIREGUARD', 'PERMISSION_DENIED', 'KERNEL_MODULE_MISSING', 'PROCESS_EXITED', 'TIMEOUT'].includes(err.code);
}
