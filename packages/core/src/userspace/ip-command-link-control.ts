import { execFile } from 'node:child_process';
import { LanrageError } from '../errors.js';
import { parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';
import { validateInterfaceName } from '../validation/interface-name.js';
import { validateMtu } from '../validation/numbers.js';
import type { LinkControl } from './link-control.js';

/** Runs `ip` with argv only (no shell); every argument was validated before. */
function ip(args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, shell: false }, (err, stdout, stderr) => {
      if (!err) return resolve(String(stdout));
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      const text = String(stderr).trim();
      if (e.code === 'ENOENT') {
        return reject(
          new LanrageError('NOT_INSTALLED', 'the ip command (iproute2) is not installed', { remedy: 'Install iproute2, or build @lanrage/native-linux.' }),
        );
      }
      if (/Operation not permitted|Permission denied/i.test(text)) {
        return reject(new LanrageError('PERMISSION_DENIED', `ip ${args[0]} ${args[1] ?? ''}: operation not permitted`.trim()));
      }
      if (/Cannot find device|does not exist/i.test(text)) {
        return reject(new LanrageError('INTERFACE_NOT_FOUND', `ip ${args.join(' ')}: no such device`));
      }
      reject(new LanrageError('IO_ERROR', `ip ${args.join(' ')} failed: ${text.slice(0, 300)}`, { cause: err }));
    });
  });
}

interface IpAddrJson {
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
}
interface IpRouteJson {
  dst: string;
}

/** The routing protocol number lanrage marks its routes with (as the native addon does), so it only ever removes its own. */
export const ROUTE_PROTOCOL = 108;

/** LinkControl through iproute2, used when the native addon cannot load. */
export class IpCommandLinkControl implements LinkControl {
  readonly kind = 'iproute2';

  async linkExists(name: string): Promise<boolean> {
    validateInterfaceName(name);
    try {
      await ip(['-j', 'link', 'show', 'dev', name]);
      return true;
    } catch (err) {
      if (err instanceof LanrageError && err.code === 'INTERFACE_NOT_FOUND') return false;
      throw err;
    }
  }

  async deleteLink(name: string): Promise<void> {
    if (await this.linkExists(name)) await ip(['link', 'delete', 'dev', name]).catch(() => undefined);
  }

  async getAddresses(name: string): Promise<string[]> {
    validateInterfaceName(name);
    const parsed = JSON.parse(await ip(['-j', 'addr', 'show', 'dev', name])) as IpAddrJson[];
    return (parsed[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => parseInterfaceAddress(`${a.local}/${a.prefixlen}`).text);
  }

  async setAddresses(name: string, cidrs: string[]): Promise<void> {
    const want = [...new Set(cidrs.map((c) => parseInterfaceAddress(c).text))];
    const have = await this.getAddresses(name);
    for (const a of have) if (!want.includes(a)) await ip(['addr', 'del', a, 'dev', name]);
    for (const a of want) if (!have.includes(a)) await ip(['addr', 'add', a, 'dev', name]);
  }

  async setMtu(name: string, mtu: number): Promise<void> {
    validateInterfaceName(name);
    await ip(['link', 'set', 'dev', name, 'mtu', String(validateMtu(mtu))]);
  }

  async setUp(name: string, up: boolean): Promise<void> {
    validateInterfaceName(name);
    await ip(['link', 'set', 'dev', name, up ? 'up' : 'down']);
  }

  async getRoutes(name: string): Promise<string[]> {
    validateInterfaceName(name);
    const out: string[] = [];
    for (const family of ['-4', '-6']) {
      const routes = JSON.parse(await ip([family, '-j', 'route', 'show', 'dev', name, 'proto', String(ROUTE_PROTOCOL)])) as IpRouteJson[];
      for (const r of routes) {
        if (r.dst === 'default') continue;
        out.push(parseAllowedIP(r.dst.includes('/') ? r.dst : `${r.dst}/${r.dst.includes(':') ? 128 : 32}`).cidr.text);
      }
    }
    return out;
  }

  async setRoutes(name: string, cidrs: string[]): Promise<void> {
    const want = [...new Set(cidrs.map((c) => parseAllowedIP(c).cidr.text))];
    const have = await this.getRoutes(name);
    for (const r of have) if (!want.includes(r)) await ip(['route', 'del', r, 'dev', name, 'proto', String(ROUTE_PROTOCOL)]).catch(() => undefined);
    for (const r of want) if (!have.includes(r)) await ip(['route', 'replace', r, 'dev', name, 'proto', String(ROUTE_PROTOCOL)]);
  }
}
