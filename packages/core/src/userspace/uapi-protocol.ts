import { LanrageError, type LanrageErrorCode } from '../errors.js';
import { Key } from '../keys/key.js';
import { publicKeyFrom } from '../keys/x25519.js';
import type { NormalizedDeviceConfig } from '../normalize.js';
import type { DeviceStatus, PeerStatus } from '../types.js';
import { parseAllowedIP } from '../validation/cidr.js';
import { parseEndpoint } from '../validation/endpoint.js';

/**
 * The cross-platform userspace API (wireguard.com/xplatform): `key=value` lines, hex keys,
 * a blank line ends a message. These are pure encoders and an incremental parser; the
 * socket lives in uapi-connection.ts.
 */

const ZERO_HEX = '0'.repeat(64);

/**
 * The lines of a `set=1` request, yielded in chunks of about `chunkBytes` so a 10k-peer set
 * is streamed rather than built as one string. Device attributes go in the kernel's order
 * (fwmark, listen port, replace peers, private key) so a failure means the same thing on
 * every backend; `replace_peers=true` is only emitted when replacing (never `=false`).
 */
export function* encodeSet(config: NormalizedDeviceConfig, chunkBytes = 64 * 1024): Generator<string> {
  let buf = 'set=1\n';
  const flush = function* (force: boolean): Generator<string> {
    if (buf.length >= chunkBytes || (force && buf.length > 0)) {
      yield buf;
      buf = '';
    }
  };
  if (config.fwmark !== undefined) buf += `fwmark=${config.fwmark}\n`;
  if (config.listenPort !== undefined) buf += `listen_port=${config.listenPort}\n`;
  if (config.replacePeers) buf += 'replace_peers=true\n';
  if (config.privateKey !== undefined) buf += `private_key=${config.privateKey ? config.privateKey.toHex() : ZERO_HEX}\n`;
  for (const p of config.peers) {
    buf += `public_key=${p.publicKey.toHex()}\n`;
    if (p.remove) {
      buf += 'remove=true\n';
    } else {
      if (p.updateOnly) buf += 'update_only=true\n';
      if (p.presharedKey !== undefined) buf += `preshared_key=${p.presharedKey ? p.presharedKey.toHex() : ZERO_HEX}\n`;
      if (p.endpoint !== undefined) buf += `endpoint=${p.endpoint.text}\n`;
      if (p.persistentKeepalive !== undefined) buf += `persistent_keepalive_interval=${p.persistentKeepalive}\n`;
      if (p.replaceAllowedIPs) buf += 'replace_allowed_ips=true\n';
      for (const c of p.allowedIPs) buf += `allowed_ip=${c.text}\n`;
      for (const c of p.allowedIPsRemove) buf += `allowed_ip=-${c.text}\n`;
    }
    yield* flush(false);
  }
  buf += '\n';
  yield* flush(true);
}

const ERRNO_CODES: Record<number, LanrageErrorCode> = {
  1: 'PERMISSION_DENIED', // EPERM
  13: 'PERMISSION_DENIED', // EACCES
  19: 'INTERFACE_NOT_FOUND', // ENODEV
  22: 'INVALID_ARGUMENT', // EINVAL
  71: 'PROTOCOL_ERROR', // EPROTO
  95: 'UNSUPPORTED', // EOPNOTSUPP
  98: 'PORT_IN_USE', // EADDRINUSE
  99: 'INVALID_ENDPOINT', // EADDRNOTAVAIL
};

/** Maps a UAPI `errno=N` (N is 0 or a negative errno) to a LanrageError, or null for success. */
export function errnoToError(errno: number, what: string): LanrageError | null {
  if (errno === 0) return null;
  const positive = Math.abs(errno);
  const code = ERRNO_CODES[positive] ?? 'IO_ERROR';
  return new LanrageError(code, `${what}: the userspace implementation answered errno ${positive}`, { errno: positive });
}

/**
 * Splits streamed text into lines up to a blank line, keeping only the unfinished last line
 * (at most `maxLine` characters) between chunks.
 */
class LineSplitter {
  #rest = '';
  readonly #maxLine: number;

  constructor(maxLine: number) {
    this.#maxLine = maxLine;
  }

  /** Calls `onLine` for each complete line; returns the text after the blank line, or null before it. */
  push(chunk: string, onLine: (line: string) => void): string | null {
    const text = this.#rest + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = text.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) {
        this.#rest = '';
        return text.slice(start);
      }
      onLine(line);
    }
    this.#rest = text.slice(start);
    if (this.#rest.length > this.#maxLine)
      throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent a line longer than ${this.#maxLine} characters`);
    return null;
  }
}

interface PeerDraft extends PeerStatus {
  handshakeSec: bigint;
}

/**
 * Incremental parser of a `get=1` reply: feed it chunks as they arrive; it keeps only the
 * unfinished last line, never the whole reply. `done` turns true at the terminating blank
 * line; then `result()` gives the device or throws the reply's errno.
 */
export class UapiGetParser {
  readonly #lines = new LineSplitter(1024 * 1024);
  #done = false;
  #errno: number | undefined;
  #device: DeviceStatus;
  #peer: PeerDraft | undefined;

  constructor(name: string) {
    this.#device = { name, privateKey: null, publicKey: null, listenPort: 0, fwmark: 0, peers: [] };
  }

  get done(): boolean {
    return this.#done;
  }

  /** Feeds a chunk; returns the text after the terminating blank line (normally empty). */
  push(chunk: string): string {
    if (this.#done) return chunk;
    const after = this.#lines.push(chunk, (line) => this.#line(line));
    if (after === null) return '';
    this.#finishPeer();
    this.#done = true;
    return after;
  }

  #finishPeer(): void {
    if (!this.#peer) return;
    const { handshakeSec, ...peer } = this.#peer;
    peer.lastHandshake =
      handshakeSec === 0n && peer.lastHandshakeNanos === 0 ? null : new Date(Number(handshakeSec) * 1000 + Math.floor(peer.lastHandshakeNanos / 1e6));
    this.#device.peers.push(peer);
    this.#peer = undefined;
  }

  #line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new LanrageError('PROTOCOL_ERROR', 'userspace implementation sent a line without key=value');
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    const dev = this.#device;
    const peer = this.#peer;
    switch (key) {
      case 'private_key': {
        if (value === ZERO_HEX) break;
        const k = Key.fromHex(value, 'private');
        dev.privateKey = k;
        break;
      }
      case 'listen_port':
        dev.listenPort = int(value, 0, 65535, key);
        break;
      case 'fwmark':
        dev.fwmark = int(value, 0, 0xffffffff, key);
        break;
      case 'public_key':
        this.#finishPeer();
        this.#peer = {
          publicKey: Key.fromHex(value, 'public'),
          presharedKey: null,
          endpoint: null,
          persistentKeepalive: 0,
          allowedIPs: [],
          lastHandshake: null,
          lastHandshakeNanos: 0,
          rxBytes: 0n,
          txBytes: 0n,
          protocolVersion: 1,
          handshakeSec: 0n,
        };
        break;
      case 'errno':
        this.#errno = int(value.replace(/^-/, ''), 0, 0x7fffffff, key) * (value.startsWith('-') ? -1 : 1);
        break;
      default:
        if (!peer) throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent ${safe(key)} outside of a peer`);
        this.#peerLine(peer, key, value);
    }
  }

  #peerLine(peer: PeerDraft, key: string, value: string): void {
    switch (key) {
      case 'preshared_key':
        peer.presharedKey = value === ZERO_HEX ? null : Key.fromHex(value, 'preshared');
        break;
      case 'endpoint':
        peer.endpoint = readEndpoint(value);
        break;
      case 'persistent_keepalive_interval':
        peer.persistentKeepalive = int(value, 0, 65535, key);
        break;
      case 'allowed_ip':
        peer.allowedIPs.push(parseAllowedIP(value).cidr.text);
        break;
      case 'rx_bytes':
        peer.rxBytes = u64(value, key);
        break;
      case 'tx_bytes':
        peer.txBytes = u64(value, key);
        break;
      case 'last_handshake_time_sec':
        peer.handshakeSec = u64(value, key);
        break;
      case 'last_handshake_time_nsec':
        peer.lastHandshakeNanos = int(value, 0, 999_999_999, key);
        break;
      case 'protocol_version':
        peer.protocolVersion = int(value, 0, 0xffff, key);
        break;
      default:
        break; // newer implementations may add keys: ignore what we do not know
    }
  }

  result(): DeviceStatus {
    if (!this.#done) throw new LanrageError('PROTOCOL_ERROR', 'userspace reply ended before its terminating blank line');
    const err = errnoToError(this.#errno ?? 0, `reading ${this.#device.name}`);
    if (err) throw err;
    if (this.#errno === undefined) throw new LanrageError('PROTOCOL_ERROR', 'userspace reply had no errno line');
    // The UAPI reports only the private key; the public key is derived, as `wg` does.
    if (this.#device.privateKey) this.#device.publicKey = publicKeyFrom(this.#device.privateKey);
    return this.#device;
  }
}

function safe(s: string): string {
  return /^[a-z_]{1,40}$/.test(s) ? s : 'an unknown key';
}

function int(value: string, min: number, max: number, key: string): number {
  if (!/^[0-9]{1,10}$/.test(value)) throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent a bad ${safe(key)}`);
  const n = Number(value);
  if (n < min || n > max) throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent ${safe(key)} out of range`);
  return n;
}

function u64(value: string, key: string): bigint {
  if (!/^[0-9]{1,20}$/.test(value)) throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent a bad ${safe(key)}`);
  const n = BigInt(value);
  if (n > 0xffffffffffffffffn) throw new LanrageError('PROTOCOL_ERROR', `userspace implementation sent ${safe(key)} out of range`);
  return n;
}

/** Reads `errno=N\n\n`, the reply to a set. */
export class UapiSetParser {
  readonly #lines = new LineSplitter(4096);
  #errno: number | undefined;
  done = false;

  push(chunk: string): string {
    const after = this.#lines.push(chunk, (line) => {
      const m = /^errno=(-?[0-9]{1,10})$/.exec(line);
      if (!m) throw new LanrageError('PROTOCOL_ERROR', 'userspace implementation answered a set with something other than errno');
      this.#errno = Number(m[1]);
    });
    if (after === null) return '';
    this.done = true;
    return after;
  }

  get errno(): number {
    if (this.#errno === undefined) throw new LanrageError('PROTOCOL_ERROR', 'userspace set reply had no errno line');
    return this.#errno;
  }
}

/**
 * An endpoint as the implementation reports it. A peer that roamed to a link-local address
 * reads back with its zone (`[fe80::1%eth0]:51820`, E4): lanrage does not accept zones as input,
 * but a read must never fail on one, so it is kept as reported once its shape is checked.
 */
function readEndpoint(value: string): string {
  if (/^\[[0-9a-fA-F:.]+%[A-Za-z0-9_.-]{1,64}\]:[0-9]{1,5}$/.test(value)) return value;
  return parseEndpoint(value).text;
}
