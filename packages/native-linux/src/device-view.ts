import { type DeviceStatus, formatEndpoint, formatIPv4, formatIPv6, Key, type PeerStats, type PeerStatus } from '@lanrage/core';
import { AF_INET, type NativeDevice } from './native.js';

/** Peers converted between yields to the event loop, so a huge read never stalls it for long. */
const CHUNK = 256;
const yieldToLoop = () => new Promise<void>((r) => setImmediate(r));

function ipText(family: number, bytes: Uint8Array): string {
  return family === AF_INET ? formatIPv4(bytes) : formatIPv6(bytes);
}

function endpointAt(dev: NativeDevice, i: number): string | null {
  const e = dev.endpoints.subarray(i * 20, i * 20 + 20);
  const family = e[0] as number;
  if (family === 0) return null;
  const port = ((e[2] as number) << 8) | (e[3] as number);
  const host = ipText(family, family === AF_INET ? e.subarray(4, 8) : e.subarray(4, 20));
  return formatEndpoint(family === AF_INET ? 4 : 6, host, port);
}

function allowedIPsAt(dev: NativeDevice, i: number): string[] {
  const out: string[] = [];
  for (let k = dev.allowedIpStart[i] as number; k < (dev.allowedIpStart[i + 1] as number); k++) {
    const x = dev.allowedIps.subarray(k * 18, k * 18 + 18);
    const family = x[0] as number;
    out.push(`${ipText(family, family === AF_INET ? x.subarray(2, 6) : x.subarray(2, 18))}/${x[1]}`);
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

function peerAt(dev: NativeDevice, i: number): PeerStatus {
  return {
    publicKey: Key.fromBytes(dev.keys.subarray(i * 32, i * 32 + 32)),
    presharedKey: dev.hasPresharedKey[i] ? Key.fromBytes(dev.presharedKeys.subarray(i * 32, i * 32 + 32), 'preshared') : null,
    endpoint: endpointAt(dev, i),
    persistentKeepalive: dev.keepalive[i] as number,
    allowedIPs: allowedIPsAt(dev, i),
    lastHandshake: handshakeAt(dev, i),
    lastHandshakeNanos: dev.handshakeNsec[i] as number,
    rxBytes: dev.rxBytes[i] as bigint,
    txBytes: dev.txBytes[i] as bigint,
    protocolVersion: dev.protocolVersion[i] as number,
  };
}

/** Peers one at a time from the flat device (no array of all peers), yielding to the event loop between chunks. */
export async function* streamPeers(dev: NativeDevice): AsyncGenerator<PeerStatus> {
  try {
    for (let i = 0; i < dev.count; i++) {
      if (i > 0 && i % CHUNK === 0) await yieldToLoop();
      yield peerAt(dev, i);
    }
  } finally {
    dev.presharedKeys.fill(0);
    dev.privateKey?.fill(0);
  }
}

/** The addon's flat device as a DeviceStatus, converted in chunks; key bytes are wiped after use. */
export async function toDeviceStatus(name: string, dev: NativeDevice): Promise<DeviceStatus> {
  const peers: PeerStatus[] = new Array(dev.count);
  for (let i = 0; i < dev.count; i++) {
    if (i > 0 && i % CHUNK === 0) await yieldToLoop();
    peers[i] = peerAt(dev, i);
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

/** The monitoring fast path: public key, endpoint, last handshake and counters only. */
export async function toPeerStats(dev: NativeDevice): Promise<PeerStats[]> {
  dev.presharedKeys.fill(0);
  dev.privateKey?.fill(0);
  const keys = Buffer.from(dev.keys.buffer, dev.keys.byteOffset, dev.keys.byteLength);
  const out: PeerStats[] = new Array(dev.count);
  for (let i = 0; i < dev.count; i++) {
    if (i > 0 && i % CHUNK === 0) await yieldToLoop();
    out[i] = {
      publicKey: keys.toString('base64', i * 32, i * 32 + 32),
      endpoint: endpointAt(dev, i),
      lastHandshake: handshakeAt(dev, i),
      rxBytes: dev.rxBytes[i] as bigint,
      txBytes: dev.txBytes[i] as bigint,
    };
  }
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
