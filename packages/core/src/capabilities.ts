import type { BackendCapabilities } from './backend.js';
import type { RouteDelta } from './manager/peer-index.js';
import type { LinkState } from './types.js';

/** The methods of a backend that controls a Linux-style link: routes, addresses, link state, the removal probe. */
export interface LinkBackendMethods {
  changeRoutes(name: string, delta: RouteDelta): Promise<void>;
  getRoutes(name: string): Promise<string[]>;
  getAddresses(name: string): Promise<string[]>;
  getLink(name: string): Promise<LinkState>;
  supportsAllowedIPRemoval(name: string): Promise<boolean>;
}

/**
 * The capabilities of a backend with a Linux-style link (kernel, userspace, memory): each one
 * calls the backend's own method when used (so a test that replaces a method is heard), plus
 * whatever `extra` names (stats, latency). What it lacks stays null.
 */
export function linkBackendCapabilities(b: LinkBackendMethods, extra: Partial<BackendCapabilities> = {}): BackendCapabilities {
  return {
    routes: { changeRoutes: (n, d) => b.changeRoutes(n, d), getRoutes: (n) => b.getRoutes(n) },
    stats: null,
    addresses: { getAddresses: (n) => b.getAddresses(n) },
    link: { getLink: (n) => b.getLink(n) },
    allowedIPRemoval: { supported: (n) => b.supportsAllowedIPRemoval(n) },
    latency: null,
    keyStore: null,
    ...extra,
  };
}
