import { type DeviceStatus, formatEndpoint, Key, type PeerStats, type PeerStatus } from '@lanrage/core';
import { formatIPv6, TimeSlicer } from '@lanrage/core/backend';
import { AF_INET, ENDPOINT, ENDPOINT_BYTES, FLAT_PREFIX, FLAT_PREFIX_BYTES, type NativeDevice } from './native.js';

/** The address at `at` of a flat array as text; IPv4 straight from the bytes (no views: this runs per peer). */
function ipText(family: number, a: Uint8Array, at: number): string {
  return family === AF_INET ? `${a[at]}.${a[at + 1]}.${a[at + 2]}.${a[at + 3]}` : formatIPv6(a.subarray(at, at + 16));
}

/**
 * Reads counters as bigints; an idle peer's zero is the shared 0n literal, not a new heap
 * BigInt (a 10,000-peer read is mostly what the garbage collector then has to copy).
 */
function counterReader(counters: BigUint64Array): (i: number) => bigint {
  const halves = new Uint32Array(counters.buffer, counters.byteOffset, counters.length * 2);
  return (i) => (halves[i * 2] === 0 && halves[i * 2 + 1] === 0 ? 0n : (counters[i] as bigint));
}

/** What converting one read needs besides the flat device: built once per read. */
interface Readers {
  keyAt: (offset: number) => Key;
  rx: (i: number) => bigint;
  tx: (i: number) => bigint;
}

function readersOf(dev: NativeDevice): Readers {
  return { keyAt: Key.viewsOf(dev.keys), rx: counterReader(dev.rxBytes), tx: counterReader(dev.txBytes) };
}

/**
 * Text built by concatenation is a tree of pieces in V8 until first read; reading a character
 * flattens it into one string, so each peer of a large read keeps one object, not three or four.
 */
function flat(text: string): string {
  text.charCodeAt(0);
  return text;
}

function endpointAt(dev: NativeDevice, i: number): string | null {
  const e = dev.endpoints;
  const at = i * ENDPOINT_BYTES;
  const family = e[at + ENDPOINT.family] as number;
  if (family === 0) return null;
  const port = ((e[at + ENDPOINT.portBE] as number) << 8) | (e[at + ENDPOINT.portBE + 1] as number);
  return flat(formatEndpoint(family === AF_INET ? 4 : 6, ipText(family, e, at + ENDPOINT.address), port));
}

function allowedIPsAt(dev: NativeDevice, i: number): string[] {
  const from = dev.allowedIpStart[i] as number;
  const out: string[] = new Array((dev.allowedIpStart[i + 1] as number) - from);
  const x = dev.allowedIps;
  for (let k = 0; k < out.length; k++) {
    const at = (from + k) * FLAT_PREFIX_BYTES;
    out[k] = flat(`${ipText(x[at + FLAT_PREFIX.family] as number, x, at + FLAT_PREFIX.address)}/${x[at + FLAT_PREFIX.prefix]}`);
  }
  return out;
}

function handshakeAt(dev: NativeDevice, i: number): Date | null {
  const sec = dev.handshakeSec[i] as number;
  const nsec = dev.handshakeNsec[i] as number;
  return sec === 0 && nsec === 0 ? null : new Date(sec * 1000 + Math.floor(nsec / 1e6));
}

function secretKey(bytes: Uint8Array | null, kind: 'private' | 'preshared'): Key | null {
  if (!bytes) return null;
  try {
    return Key.fromBytes(bytes, kind);
  } finally {
    bytes.fill(0);
  }
}

/** Public keys read their slot of the device's key array, which nothing changes after the read. */
function peerAt(dev: NativeDevice, i: number, r: Readers): PeerStatus {
  return {
    publicKey: r.keyAt(i * 32),
    presharedKey: dev.hasPresharedKey[i] ? Key.fromBytes(dev.presharedKeys.subarray(i * 32, i * 32 + 32), 'preshared') : null,
    endpoint: endpointAt(dev, i),
    persistentKeepalive: dev.keepalive[i] as number,
    allowedIPs: allowedIPsAt(dev, i),
    lastHandshake: handshakeAt(dev, i),
    lastHandshakeNanos: (dev.handshakeNsec[i] as number) | 0, // an int, so a small integer, not a boxed double per peer
    rxBytes: r.rx(i),
    txBytes: r.tx(i),
    protocolVersion: dev.protocolVersion[i] as number,
  };
}

/** Peers one at a time from the flat device (no array of all peers), yielding to the event loop between time slices. */
export async function* streamPeers(dev: NativeDevice): AsyncGenerator<PeerStatus> {
  try {
    const slicer = new TimeSlicer();
    const r = readersOf(dev);
    for (let i = 0; i < dev.count; i++) {
      const pause = slicer.next();
      if (pause) await pause;
      yield peerAt(dev, i, r);
    }
  } finally {
    dev.presharedKeys.fill(0);
    dev.privateKey?.fill(0);
  }
}

/** The addon's flat device as a DeviceStatus, converted in time slices; key bytes are wiped after use. */
export async function toDeviceStatus(name: string, dev: NativeDevice): Promise<DeviceStatus> {
  const peers: PeerStatus[] = new Array(dev.count);
  const slicer = new TimeSlicer();
  const r = readersOf(dev);
  for (let i = 0; i < dev.count; i++) {
    const pause = slicer.next();
    if (pause) await pause;
    peers[i] = peerAt(dev, i, r);
  }
  dev.presharedKeys.fill(0);
  return {
    name,
    privateKey: secretKey(dev.privateKey, 'private'),
    publicKey: dev.publicKey ? Key.fromBytes(dev.publicKey) : null,
    listenPort: dev.listenPort,
    fwmark: dev.fwmark,
    peers,
  };
}

/**
 * What one stats read of an interface leaves for the next: its flat key and endpoint bytes and
 * the text made of them. A monitoring loop reads the same peers again and again; a peer whose
 * bytes are unchanged at the same position gets the same strings without formatting them (in
 * the emulated VM, a third of a 10,000-peer read), and no new strings outlive the young
 * generation. Nothing changes these arrays after the read.
 */
export interface StatsMemo {
  keys: Uint8Array;
  endpoints: Uint8Array;
  keyText: string[];
  endpointText: (string | null)[];
}

/** Whether `len` bytes at `at` are the same in both (`b` may be shorter). */
function sameBytes(a: Uint8Array, b: Uint8Array, at: number, len: number): boolean {
  if (at + len > b.length) return false;
  for (let k = 0; k < len; k++) if (a[at + k] !== b[at + k]) return false;
  return true;
}

/** Whether the two arrays hold the same bytes (one memcmp). */
function equalArrays(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/**
 * The monitoring fast path: public key, endpoint, last handshake and counters only. `memo` (the
 * previous read of the same interface, if any) lends the strings of unchanged peers; the memo
 * of this read is handed to `remember` when it is done.
 */
export async function toPeerStats(dev: NativeDevice, memo?: StatsMemo, remember?: (m: StatsMemo) => void): Promise<PeerStats[]> {
  dev.presharedKeys.fill(0);
  dev.privateKey?.fill(0);
  const keys = Buffer.from(dev.keys.buffer, dev.keys.byteOffset, dev.keys.byteLength);
  const out: PeerStats[] = new Array(dev.count);
  // The common case, checked at once: the same peers, each at its place, and the same endpoints.
  const allKeys = memo !== undefined && equalArrays(dev.keys, memo.keys);
  const allEndpoints = allKeys && equalArrays(dev.endpoints, (memo as StatsMemo).endpoints);
  // Then the memo stays as it is (its bytes are this read's): no new arrays to outlive the read.
  const same = allEndpoints ? (memo as StatsMemo) : undefined;
  const keyText: string[] = same ? same.keyText : new Array(dev.count);
  const endpointText: (string | null)[] = same ? same.endpointText : new Array(dev.count);
  const rx = counterReader(dev.rxBytes);
  const tx = counterReader(dev.txBytes);
  const slicer = new TimeSlicer();
  for (let i = 0; i < dev.count; i++) {
    const pause = slicer.next();
    if (pause) await pause;
    const key =
      allKeys || (memo && sameBytes(dev.keys, memo.keys, i * 32, 32))
        ? ((memo as StatsMemo).keyText[i] as string)
        : keys.toString('base64', i * 32, i * 32 + 32);
    const endpoint =
      allEndpoints || (memo && i < memo.endpointText.length && sameBytes(dev.endpoints, memo.endpoints, i * ENDPOINT_BYTES, ENDPOINT_BYTES))
        ? ((memo as StatsMemo).endpointText[i] as string | null)
        : endpointAt(dev, i);
    if (!same) {
      keyText[i] = key;
      endpointText[i] = endpoint;
    }
    out[i] = {
      publicKey: key,
      endpoint,
      lastHandshake: handshakeAt(dev, i),
      rxBytes: rx(i),
      txBytes: tx(i),
    };
  }
  if (!same) remember?.({ keys: dev.keys, endpoints: dev.endpoints, keyText, endpointText });
  return out;
}

/** Index of the peer with this public key, or -1. */
export function findPeer(dev: NativeDevice, key: Uint8Array): number {
  for (let i = 0; i < dev.count; i++) {
    const off = i * 32;
    let same = true;
    for (let j = 0; j < 32 && same; j++) same = dev.keys[off + j] === key[j];
    if (same) return i;
  }
  return -1;
}

export { allowedIPsAt };
