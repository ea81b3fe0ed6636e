import { createConnection, type Socket } from 'node:net';
import { LanrageError } from '../errors.js';
import { KeyedQueue } from '../event-loop/keyed-queue.js';
import type { NormalizedDeviceConfig } from '../normalize.js';
import type { DeviceStatus } from '../types.js';
import { encodeSet, errnoToError, UapiGetParser, UapiSetParser } from './uapi-protocol.js';

export interface UapiConnectionOptions {
  /** Per request; a silent implementation gives TIMEOUT and the socket is dropped. Default 10 s. */
  timeoutMs?: number;
  /** Called to explain a dead socket (e.g. "wireguard-go exited with code 1: <log tail>"). */
  explainClosed?: () => LanrageError | undefined;
}

interface Parser {
  push(chunk: string): string;
  readonly done: boolean;
}

/**
 * One persistent UAPI connection to one interface's socket, with requests serialized on it:
 * wireguard-go keeps a connection open across requests, which is ~2× faster than a
 * connection per operation. Replies are read until their terminating blank line (never one
 * fixed-size read); large sets are written with backpressure. A failed or timed-out request
 * drops the socket, and the next request connects again.
 */
export class UapiConnection {
  readonly path: string;
  readonly name: string;
  readonly #timeoutMs: number;
  readonly #explainClosed: (() => LanrageError | undefined) | undefined;
  #socket: Socket | undefined;
  #connecting: Promise<Socket> | undefined;
  /** Requests one at a time, in call order (one key: this socket). */
  readonly #requests = new KeyedQueue<0>();
  #onData: ((chunk: string) => void) | undefined;
  #onEnd: ((err: LanrageError) => void) | undefined;
  /** The socket the request in flight uses: events of an older, dropped socket are ignored. */
  #requestSocket: Socket | undefined;

  constructor(name: string, path: string, options: UapiConnectionOptions = {}) {
    this.name = name;
    this.path = path;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#explainClosed = options.explainClosed;
  }

  #connectError(err: NodeJS.ErrnoException): LanrageError {
    const explained = this.#explainClosed?.();
    if (explained) return explained;
    switch (err.code) {
      case 'ENOENT':
        return new LanrageError('INTERFACE_NOT_FOUND', `interface ${this.name} does not exist (no socket ${this.path})`, { cause: err });
      case 'ECONNREFUSED':
        return new LanrageError('INTERFACE_NOT_FOUND', `interface ${this.name} is gone: ${this.path} is a stale socket with no listener`, { cause: err });
      case 'EACCES':
      case 'EPERM':
        return new LanrageError('PERMISSION_DENIED', `cannot open ${this.path}: the UAPI socket belongs to root (mode 0700 directory)`, {
          cause: err,
          remedy: 'Run as root (sudo lanrage ...), as wg does for userspace interfaces.',
        });
      default:
        return new LanrageError('IO_ERROR', `cannot connect to ${this.path} (${err.code ?? 'error'})`, { cause: err });
    }
  }

  #connect(): Promise<Socket> {
    if (this.#socket && !this.#socket.destroyed) return Promise.resolve(this.#socket);
    if (this.#connecting) return this.#connecting;
    this.#connecting = new Promise<Socket>((resolve, reject) => {
      const sock = createConnection({ path: this.path });
      sock.setEncoding('utf8');
      const fail = (err: NodeJS.ErrnoException) => {
        sock.destroy();
        reject(this.#connectError(err));
      };
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        sock.on('data', (chunk: string) => {
          if (this.#requestSocket === sock) this.#onData?.(chunk);
        });
        sock.on('error', () => undefined); // reported through 'close'
        sock.on('close', () => {
          if (this.#socket === sock) this.#socket = undefined;
          const err =
            this.#explainClosed?.() ??
            new LanrageError('PROTOCOL_ERROR', `the userspace implementation of ${this.name} closed the connection before answering`);
          if (this.#requestSocket === sock) this.#onEnd?.(err);
        });
        this.#socket = sock;
        resolve(sock);
      });
    }).finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.#requests.run(0, fn);
  }

  async #request(chunks: Iterable<string>, parser: Parser, what: string, timeoutMs = this.#timeoutMs): Promise<void> {
    const sock = await this.#connect();
    await new Promise<void>((resolve, reject) => {
      let settled = false;
      const finish = (err?: LanrageError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#onData = undefined;
        this.#onEnd = undefined;
        this.#requestSocket = undefined;
        if (err) {
          sock.destroy();
          reject(err);
        } else resolve();
      };
      const timer = setTimeout(
        () => finish(new LanrageError('TIMEOUT', `${what}: no answer from the userspace implementation within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#requestSocket = sock;
      this.#onEnd = (err) => finish(err);
      this.#onData = (chunk) => {
        try {
          const extra = parser.push(chunk);
          if (parser.done) finish(extra.length > 0 ? new LanrageError('PROTOCOL_ERROR', `${what}: unexpected data after the reply`) : undefined);
        } catch (err) {
          finish(err instanceof LanrageError ? err : new LanrageError('PROTOCOL_ERROR', `${what}: ${(err as Error).message}`, { cause: err }));
        }
      };
      void (async () => {
        for (const chunk of chunks) {
          if (settled) return;
          if (!sock.write(chunk)) {
            await new Promise<void>((r) => {
              const done = () => {
                sock.off('drain', done);
                sock.off('close', done);
                r();
              };
              sock.on('drain', done);
              sock.on('close', done);
            });
          }
        }
      })().catch((err) => finish(new LanrageError('IO_ERROR', `${what}: write failed`, { cause: err })));
    });
  }

  /** `get=1`: the whole device, parsed as it streams in. */
  get(): Promise<DeviceStatus> {
    return this.#serialize(async () => {
      const parser = new UapiGetParser(this.name);
      await this.#request(['get=1\n\n'], parser, `reading ${this.name}`);
      return parser.result();
    });
  }

  /** `set=1` with the config streamed in chunks. Throws the mapped errno on failure. */
  set(config: NormalizedDeviceConfig): Promise<void> {
    return this.#serialize(async () => {
      const parser = new UapiSetParser();
      // Implementations do real work per peer (wireguard-go: ~6 ms for a peer with keepalive), so
      // the budget grows with the size of the change.
      const budget = this.#timeoutMs + config.peers.length * 20;
      await this.#request(encodeSet(config), parser, `setting ${this.name}`, budget);
      const err = errnoToError(parser.errno, `setting ${this.name}`);
      if (err) throw err;
    });
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}
