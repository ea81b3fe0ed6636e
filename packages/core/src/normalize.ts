import { LanrageError } from './errors.js';
import { TimeSlicer } from './event-loop/time-slicer.js';
import { Key } from './keys/key.js';
import { publicKeyFrom } from './keys/x25519.js';
import { type ResolveOptions, resolveEndpoint } from './net/resolve.js';
import type { DeviceConfig, KeyInput, PeerConfig } from './types.js';
import { type Cidr, normalizeAllowedIPs } from './validation/cidr.js';
import { type Endpoint, parseEndpoint } from './validation/endpoint.js';
import { validateFwmark, validateKeepalive, validateListenPort } from './validation/numbers.js';

/** A validated peer operation: keys parsed, prefixes canonical, endpoint parsed. */
export interface NormalizedPeer {
  publicKey: Key;
  remove: boolean;
  updateOnly: boolean;
  /** undefined = unchanged, null = remove. */
  presharedKey?: Key | null;
  endpoint?: Endpoint;
  persistentKeepalive?: number;
  /** Clear the peer's allowed IPs before adding `allowedIPs`. */
  replaceAllowedIPs: boolean;
  allowedIPs: Cidr[];
  allowedIPsRemove: Cidr[];
}

export interface NormalizedDeviceConfig {
  /** undefined = unchanged, null = remove. */
  privateKey?: Key | null;
  listenPort?: number;
  fwmark?: number;
  replacePeers: boolean;
  peers: NormalizedPeer[];
}

function secretKey(value: KeyInput, kind: 'private' | 'preshared', what: string): Key {
  const key = Key.from(value, kind, what);
  // An all-zero key means "remove" to netlink and the UAPI: removal must be asked for with null (K6).
  if (key.isZero) throw new LanrageError('INVALID_KEY', `${what} is all zeros; pass null to remove the key instead`);
  return key;
}

/** `index`: the peer's place in a multi-peer change, named in errors; a single peer (a manager call) has none. */
export function normalizePeer(peer: PeerConfig, index?: number): NormalizedPeer {
  const who = index === undefined ? 'the peer' : `peer #${index}`;
  if (peer === null || typeof peer !== 'object') throw new LanrageError('INVALID_ARGUMENT', `${who} is not an object`);
  const publicKey = Key.from(peer.publicKey, 'public', `public key of ${who}`);
  if (publicKey.isLowOrder) {
    throw new LanrageError('WEAK_PUBLIC_KEY', `public key of ${who} (${publicKey}) is a low-order point`, {
      details: { publicKey: publicKey.toBase64() },
    });
  }
  const out: NormalizedPeer = {
    publicKey,
    remove: peer.remove === true,
    updateOnly: peer.updateOnly === true,
    replaceAllowedIPs: false,
    allowedIPs: [],
    allowedIPsRemove: [],
  };
  if (out.remove) return out;
  if (index === undefined) return normalizePeerFields(peer, publicKey, out);
  try {
    return normalizePeerFields(peer, publicKey, out);
  } catch (err) {
    // In a list (apply, a batch), say which peer: a bad value of one of 100,000 is found by its index.
    if (!(err instanceof LanrageError)) throw err;
    throw new LanrageError(err.code, `${who} (${publicKey}): ${err.message}`, { remedy: err.remedy, details: err.details, cause: err });
  }
}

/** The fields of a peer that is not removed, validated into `out`. */
function normalizePeerFields(peer: PeerConfig, publicKey: Key, out: NormalizedPeer): NormalizedPeer {
  if (peer.presharedKey !== undefined) {
    out.presharedKey = peer.presharedKey === null ? null : secretKey(peer.presharedKey, 'preshared', `preshared key of peer ${publicKey}`);
  }
  if (peer.endpoint !== undefined) out.endpoint = parseEndpoint(peer.endpoint);
  if (peer.persistentKeepalive !== undefined) out.persistentKeepalive = validateKeepalive(peer.persistentKeepalive);
  if (peer.allowedIPs !== undefined) {
    if (peer.allowedIPsAdd !== undefined || peer.allowedIPsRemove !== undefined) {
      throw new LanrageError('INVALID_ARGUMENT', `peer ${publicKey}: give either allowedIPs (replace) or allowedIPsAdd/allowedIPsRemove, not both`);
    }
    out.replaceAllowedIPs = true;
    out.allowedIPs = normalizeAllowedIPs(peer.allowedIPs);
  } else {
    if (peer.allowedIPsAdd !== undefined) out.allowedIPs = normalizeAllowedIPs(peer.allowedIPsAdd);
    if (peer.allowedIPsRemove !== undefined) out.allowedIPsRemove = normalizeAllowedIPs(peer.allowedIPsRemove);
  }
  return out;
}

/**
 * The device-level fields of a DeviceConfig (private key, port, mark, replacePeers), validated,
 * with `peers` left empty; refuses a `peers` that is not a list. The first step of every form
 * of normalisation, so they all fail the same way in the same order.
 */
export function normalizeDeviceFields(config: DeviceConfig): NormalizedDeviceConfig {
  if (config === null || typeof config !== 'object') throw new LanrageError('INVALID_ARGUMENT', 'device config must be an object');
  const out: NormalizedDeviceConfig = { replacePeers: config.replacePeers === true, peers: [] };
  if (config.privateKey !== undefined) {
    out.privateKey = config.privateKey === null ? null : secretKey(config.privateKey, 'private', 'private key');
  }
  if (config.listenPort !== undefined) out.listenPort = validateListenPort(config.listenPort);
  if (config.fwmark !== undefined) out.fwmark = validateFwmark(config.fwmark);
  if (config.peers !== undefined && !Array.isArray(config.peers)) throw new LanrageError('INVALID_ARGUMENT', 'peers must be a list');
  return out;
}

/**
 * K9: a peer equal to the device's own public key. Peers are shown one by one (see) and the
 * check is made after the last (check), so a bad peer later in the list is reported first.
 */
export class SelfPeerCheck {
  readonly #own: Key | null;
  #self: NormalizedPeer | undefined;

  constructor(privateKey: Key | null | undefined) {
    this.#own = privateKey ? publicKeyFrom(privateKey) : null;
  }

  see(p: NormalizedPeer): void {
    if (this.#own && !this.#self && !p.remove && p.publicKey.equals(this.#own)) this.#self = p;
  }

  check(): void {
    if (this.#self) throw new LanrageError('PEER_IS_SELF', `peer ${this.#self.publicKey} is this device's own public key`);
  }
}

/**
 * Validates and normalises a DeviceConfig before anything native runs. Throws a typed
 * LanrageError (never echoing a key) for: bad keys (INVALID_KEY), all-zero secret keys
 * (K6), low-order peer keys (WEAK_PUBLIC_KEY, K8), a peer equal to the private key's own
 * public key in the same config (PEER_IS_SELF, K9), bad ports, marks, keepalives,
 * endpoints and prefixes. Host names stay unresolved (see prepareDeviceConfig).
 */
export function normalizeDeviceConfig(config: DeviceConfig): NormalizedDeviceConfig {
  const out = normalizeDeviceFields(config);
  const self = new SelfPeerCheck(out.privateKey);
  out.peers = (config.peers ?? []).map((p, i) => normalizePeer(p, i));
  for (const p of out.peers) self.see(p);
  self.check();
  return out;
}

/** Resolves host-name endpoints of a normalised config (in parallel, each bounded). */
export async function resolveDeviceConfig(config: NormalizedDeviceConfig, opts?: ResolveOptions): Promise<NormalizedDeviceConfig> {
  const pending = config.peers.filter((p) => p.endpoint?.family === 0);
  if (pending.length === 0) return config;
  await Promise.all(
    pending.map(async (p) => {
      p.endpoint = await resolveEndpoint(p.endpoint as Endpoint, opts);
    }),
  );
  return config;
}

/** Up to this many peers are validated in one go; beyond it, in time slices. */
const CHUNK = 128;

/**
 * normalizeDeviceConfig, then resolveDeviceConfig: what every backend does first. Large peer
 * lists are validated in time slices with yields in between, so a 100k-peer change never
 * blocks the event loop for long; the result and the errors are the same as the synchronous form.
 */
export async function prepareDeviceConfig(config: DeviceConfig, opts?: ResolveOptions): Promise<NormalizedDeviceConfig> {
  const peers = config?.peers;
  if (!Array.isArray(peers) || peers.length <= CHUNK) return resolveDeviceConfig(normalizeDeviceConfig(config), opts);
  const head = normalizeDeviceFields(config);
  const self = new SelfPeerCheck(head.privateKey);
  const out: NormalizedPeer[] = new Array(peers.length);
  const slicer = new TimeSlicer();
  for (let i = 0; i < peers.length; i++) {
    const pause = slicer.next();
    if (pause) await pause;
    out[i] = normalizePeer(peers[i] as PeerConfig, i);
    self.see(out[i] as NormalizedPeer);
  }
  self.check();
  head.peers = out;
  return resolveDeviceConfig(head, opts);
}

/**
 * The plain form of a normalised config (keys as Key objects, prefixes and endpoints as their
 * canonical texts): what a record of a call shows (MemoryBackend.calls), never fed back to a
 * backend.
 */
export function toDeviceConfig(norm: NormalizedDeviceConfig): DeviceConfig {
  const out: DeviceConfig = {};
  if (norm.privateKey !== undefined) out.privateKey = norm.privateKey;
  if (norm.listenPort !== undefined) out.listenPort = norm.listenPort;
  if (norm.fwmark !== undefined) out.fwmark = norm.fwmark;
  if (norm.replacePeers) out.replacePeers = true;
  out.peers = norm.peers.map(toPeerConfig);
  return out;
}

/** The plain form of one normalised peer operation (see toDeviceConfig). */
export function toPeerConfig(n: NormalizedPeer): PeerConfig {
  if (n.remove) return { publicKey: n.publicKey, remove: true };
  const op: PeerConfig = { publicKey: n.publicKey };
  if (n.updateOnly) op.updateOnly = true;
  if (n.presharedKey !== undefined) op.presharedKey = n.presharedKey;
  if (n.endpoint !== undefined) op.endpoint = n.endpoint.text;
  if (n.persistentKeepalive !== undefined) op.persistentKeepalive = n.persistentKeepalive;
  if (n.replaceAllowedIPs) op.allowedIPs = n.allowedIPs.map((c) => c.text);
  else {
    if (n.allowedIPs.length > 0) op.allowedIPsAdd = n.allowedIPs.map((c) => c.text);
    if (n.allowedIPsRemove.length > 0) op.allowedIPsRemove = n.allowedIPsRemove.map((c) => c.text);
  }
  return op;
}

/**
 * A backend's precondition for an endpoint it is about to send: resolved (an IP). A host name
 * here means the caller skipped prepareDeviceConfig (INVALID_ENDPOINT, before anything is sent).
 */
export function resolvedEndpoint(ep: Endpoint): Endpoint & { family: 4 | 6; address: Uint8Array } {
  if (ep.family === 0 || ep.address === undefined) {
    throw new LanrageError('INVALID_ENDPOINT', `endpoint ${ep.text} is a host name that was not resolved`, {
      remedy: 'Pass the config through prepareDeviceConfig() (it resolves host names) before setDevice().',
    });
  }
  return ep as Endpoint & { family: 4 | 6; address: Uint8Array };
}

/** resolvedEndpoint for every peer of a change, before anything of it is sent. */
export function assertResolved(norm: NormalizedDeviceConfig): void {
  for (const p of norm.peers) if (p.endpoint !== undefined && p.endpoint.family === 0) resolvedEndpoint(p.endpoint);
}
