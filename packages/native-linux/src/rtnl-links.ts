import { LanrageError, type LinkState } from '@lanrage/core';
import type { LinkControl, RouteDelta } from '@lanrage/core/backend';
import { addressToNative, prefixText, prefixToNative } from './convert.js';
import { mapNativeError } from './map-error.js';
import type { NativeBackend, NativeLink } from './native.js';

/**
 * Link, address, MTU, up/down and route control over rtnetlink from the addon: used by the
 * kernel backend, and by the userspace backend for its tun device (no `ip` subprocess).
 * Routes carry their own protocol number, so only lanrage's routes are ever listed or removed.
 */
export class RtnlLinks implements LinkControl {
  readonly kind = 'rtnetlink';
  readonly #native: () => NativeBackend;

  constructor(native: () => NativeBackend) {
    this.#native = native;
  }

  /** The link, or null when there is none of that name. */
  async findLink(name: string): Promise<NativeLink | null> {
    try {
      return await this.#native().getLink(name);
    } catch (err) {
      const e = mapNativeError(err, `looking up ${name}`);
      if (e.code === 'INTERFACE_NOT_FOUND') return null;
      throw e;
    }
  }

  async getLink(name: string): Promise<LinkState> {
    const link = await this.findLink(name);
    if (!link) throw new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`);
    return { mtu: link.mtu, up: link.up };
  }

  async linkExists(name: string): Promise<boolean> {
    return (await this.findLink(name)) !== null;
  }

  async deleteLink(name: string): Promise<void> {
    if (!(await this.findLink(name))) return;
    await this.#native()
      .deleteLink(name)
      .catch((err) => {
        const e = mapNativeError(err, `deleting ${name}`);
        if (e.code !== 'INTERFACE_NOT_FOUND') throw e;
      });
  }

  async #call<T>(name: string, what: string, fn: (n: NativeBackend) => Promise<T>): Promise<T> {
    try {
      return await fn(this.#native());
    } catch (err) {
      const e = mapNativeError(err, `${what} on ${name}`);
      if (e.code === 'INTERFACE_NOT_FOUND') throw new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`, { cause: e });
      throw e;
    }
  }

  async getAddresses(name: string): Promise<string[]> {
    return (await this.#call(name, 'listing addresses', (n) => n.listAddresses(name))).map(prefixText);
  }

  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    const want = [...new Set(cidrs.map((c) => prefixText(addressToNative(c))))];
    const have = await this.getAddresses(name);
    for (const a of have) if (!want.includes(a)) await this.#call(name, 'removing an address', (n) => n.deleteAddress(name, addressToNative(a)));
    for (const a of want) if (!have.includes(a)) await this.#call(name, 'adding an address', (n) => n.addAddress(name, addressToNative(a)));
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    await this.#call(name, 'setting the MTU', (n) => n.setMtu(name, mtu));
  }

  async setUp(name: string, up: boolean): Promise<void> {
    await this.#call(name, up ? 'bringing the link up' : 'bringing the link down', (n) => n.setUp(name, up));
  }

  async getRoutes(name: string): Promise<string[]> {
    return (await this.#call(name, 'listing routes', (n) => n.listRoutes(name))).map(prefixText);
  }

  /**
   * Removes `delta.remove`, then adds `delta.add`, in one batch and without reading the routes
   * first. Adding a route that exists and removing one that does not both succeed; only
   * routes carrying lanrage's protocol number are removed. An empty delta sends nothing.
   */
  async changeRoutes(name: string, delta: RouteDelta): Promise<void> {
    const add = delta.add.map(prefixToNative);
    const remove = delta.remove.map(prefixToNative);
    if (add.length === 0 && remove.length === 0) return;
    await this.#call(name, 'changing routes', (n) => n.changeRoutes(name, add, remove));
  }
}
