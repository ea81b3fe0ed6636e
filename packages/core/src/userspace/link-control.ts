import type { RouteDelta } from '../manager/peer-index.js';
import type { LinkState } from '../types.js';

/**
 * Address, MTU, up/down and route control of a network link. The userspace backend uses it
 * on the tun device that wireguard-go creates: through the native addon's rtnetlink
 * when that addon is available, else through iproute2 (`ip`).
 *
 * Its callers are backends, which checked the name and the values at their edge (an MTU
 * against the interface's address families): implementations do not validate them again, and
 * keep only what their own boundary needs for safety (iproute2: a name that cannot be taken for
 * an option; the addon bounds every name to IFNAMSIZ itself).
 */
export interface LinkControl {
  readonly kind: string;
  linkExists(name: string): Promise<boolean>;
  deleteLink(name: string): Promise<void>;
  getAddresses(name: string): Promise<string[]>;
  /** The link's MTU and whether it is administratively up. INTERFACE_NOT_FOUND when there is none. */
  getLink(name: string): Promise<LinkState>;
  /** Makes the addresses exactly `cidrs`. */
  setAddresses(name: string, cidrs: string[]): Promise<void>;
  setMtu(name: string, mtu: number): Promise<void>;
  setUp(name: string, up: boolean): Promise<void>;
  /** Adds and removes lanrage's routes through the link in one batch, without reading them first. */
  changeRoutes(name: string, delta: RouteDelta): Promise<void>;
  getRoutes(name: string): Promise<string[]>;
}
