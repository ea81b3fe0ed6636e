import type { NormalizedPeer } from '../normalize.js';
import { type Cidr, cidrContains, parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';
import { ShardedMap, ShardedSet } from './sharded-map.js';

/** Route changes that bring the interface's routes from what was installed to what the peers need. */
export interface RouteDelta {
  add: string[];
  remove: string[];
}

export interface PeerIndexOptions {
  /** Route `/0` allowed IPs too (default false: adding a peer never captures all traffic). */
  allowDefaultRoute?: boolean;
}

/**
 * What a NetworkManager knows about its interface without reading it: each peer's allowed IPs,
 * the owner of each allowed IP, and the routes the peers need. Every change costs O(the
 * change), never O(peers).
 *
 * It follows the kernel's semantics: an allowed IP belongs to one peer at a time (giving it to
 * a second peer moves it, A3), so a route is needed while any peer owns a prefix that the
 * interface's own address prefixes do not cover (those the kernel routes itself), and a move
 * changes the owner but not the route. Changes are applied in call order; the route changes
 * they add up to are collected as a net delta (`takeRouteDelta`), so an add and a remove of
 * the same peer in one batch touch no route.
 */
export class PeerIndex {
  /**
   * Peer (canonical base64 public key) → its allowed IPs (canonical prefix texts). Most peers
   * hold one prefix: kept as the string itself, a Set only from the second on, so a
   * 100,000-peer index is 100,000 strings rather than 100,000 Sets for the collector to copy.
   * The three per-peer tables are sharded: one Map's rebuild under churn is one long stall.
   */
  readonly #peers = new ShardedMap<Held>();
  /** Allowed IP → the peer that holds it. */
  readonly #owner = new ShardedMap<string>();
  /** Routes the peers need, as the manager believes them installed once the delta is sent. */
  readonly #routed = new ShardedSet();
  /** Net route changes since the last takeRouteDelta(): true = add, false = remove. */
  readonly #delta = new Map<string, boolean>();
  readonly #own: Cidr[];
  readonly #allowDefault: boolean;
  /** The interface's own addresses as given (`10.66.0.7/16`). */
  readonly ownAddresses: readonly string[];

  /** `addresses`: the interface's own addresses (`10.66.0.7/16`); their prefixes need no route. */
  constructor(addresses: readonly string[], options: PeerIndexOptions = {}) {
    this.ownAddresses = [...addresses];
    this.#own = addresses.map((a) => parseAllowedIP(parseInterfaceAddress(a).text).cidr);
    this.#allowDefault = options.allowDefaultRoute === true;
  }

  get size(): number {
    return this.#peers.size;
  }

  has(publicKey: string): boolean {
    return this.#peers.has(publicKey);
  }

  /** The peer's allowed IPs in the order they were given, or undefined for an unknown peer. */
  allowedIPsOf(publicKey: string): string[] | undefined {
    const held = this.#peers.get(publicKey);
    return held === undefined ? undefined : listOf(held);
  }

  /** The peer that holds this allowed IP (canonical text), if any. */
  ownerOf(cidr: string): string | undefined {
    return this.#owner.get(cidr);
  }

  /** The routes the peers need (sorted). */
  routes(): string[] {
    return [...this.#routed].sort();
  }

  /** Whether a route through the interface is needed for this prefix when some peer holds it. */
  needsRoute(cidr: Cidr): boolean {
    if (cidr.prefix === 0 && !this.#allowDefault) return false;
    for (const o of this.#own) if (cidrContains(o, cidr)) return false;
    return true;
  }

  /** Adds a peer read from the device (used while building the index from one read). */
  addLive(publicKey: string, allowedIPs: readonly string[]): void {
    this.apply(publicKey, {
      remove: false,
      updateOnly: false,
      replaceAllowedIPs: true,
      allowedIPs: allowedIPs.map((t) => parseAllowedIP(t).cidr),
      allowedIPsRemove: [],
    });
  }

  /**
   * Applies one peer operation as the kernel does (the caller has refused a self peer).
   * `moved` hears of each allowed IP taken from another peer (A3: the kernel does it silently).
   */
  apply(
    publicKey: string,
    op: Pick<NormalizedPeer, 'remove' | 'updateOnly' | 'replaceAllowedIPs' | 'allowedIPs' | 'allowedIPsRemove'>,
    moved?: (allowedIP: string, from: string) => void,
  ): void {
    let mine = this.#peers.get(publicKey);
    if (op.remove) {
      if (mine !== undefined) for (const c of listOf(mine)) this.#release(c);
      this.#peers.delete(publicKey);
      return;
    }
    if (mine === undefined) {
      if (op.updateOnly) return; // the kernel skips an update of a missing peer
      mine = NONE;
    }
    if (op.replaceAllowedIPs) {
      for (const c of listOf(mine)) this.#release(c);
      mine = NONE;
    }
    for (const cidr of op.allowedIPs) {
      const text = cidr.text;
      const previous = this.#owner.get(text);
      if (previous === publicKey) continue;
      if (previous !== undefined) {
        this.#drop(previous, text); // moved: the route stays
        moved?.(text, previous);
      } else if (this.needsRoute(cidr)) this.#route(text, true);
      this.#owner.set(text, publicKey);
      mine = withAdded(mine, text);
    }
    for (const cidr of op.allowedIPsRemove) {
      if (this.#owner.get(cidr.text) !== publicKey) continue;
      this.#release(cidr.text);
      mine = withRemoved(mine, cidr.text);
    }
    this.#peers.set(publicKey, mine);
  }

  /** Takes `text` from another peer's set (it moved). */
  #drop(peer: string, text: string): void {
    const held = this.#peers.get(peer);
    if (held !== undefined) this.#peers.set(peer, withRemoved(held, text));
  }

  /** Removes every peer (REPLACE_PEERS). */
  clearPeers(): void {
    for (const text of this.#owner.keys()) if (this.#routed.has(text)) this.#route(text, false);
    this.#owner.clear();
    this.#peers.clear();
  }

  /**
   * The net route changes since the last call, against `installed` when given (the routes read
   * from the device: used once, when the index is built) or else against the routes this index
   * believed installed.
   */
  takeRouteDelta(installed?: Iterable<string>): RouteDelta {
    const out: RouteDelta = { add: [], remove: [] };
    if (installed) {
      const have = new Set(installed);
      for (const r of this.#routed) if (!have.has(r)) out.add.push(r);
      for (const r of have) if (!this.#routed.has(r)) out.remove.push(r);
    } else {
      for (const [text, add] of this.#delta) (add ? out.add : out.remove).push(text);
    }
    this.#delta.clear();
    return out;
  }

  #release(text: string): void {
    this.#owner.delete(text);
    if (this.#routed.has(text)) this.#route(text, false);
  }

  #route(text: string, add: boolean): void {
    if (add) this.#routed.add(text);
    else this.#routed.delete(text);
    // A change that undoes a pending one cancels it: the device already has that state.
    if (this.#delta.get(text) === !add) this.#delta.delete(text);
    else this.#delta.set(text, add);
  }
}

/** A peer's allowed IPs: none, one (the text itself) or several (in the order given). */
type Held = string | Set<string> | typeof NONE;
const NONE = null;

function listOf(held: Held): string[] {
  if (held === NONE) return [];
  return typeof held === 'string' ? [held] : [...held];
}

function withAdded(held: Held, text: string): Held {
  if (held === NONE) return text;
  if (typeof held === 'string') return held === text ? held : new Set([held, text]);
  held.add(text);
  return held;
}

function withRemoved(held: Held, text: string): Held {
  if (held === NONE) return NONE;
  if (typeof held === 'string') return held === text ? NONE : held;
  held.delete(text);
  return held.size === 0 ? NONE : held.size === 1 ? (held.values().next().value as string) : held;
}

/** True when the delta changes nothing. */
export function isEmptyDelta(d: RouteDelta): boolean {
  return d.add.length === 0 && d.remove.length === 0;
}
