import { execFile, spawn } from 'node:child_process';
import { LanrageError } from '../errors.js';
import type { RouteDelta } from '../manager/peer-index.js';
import type { LinkState } from '../types.js';
import { parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';
import { validateInterfaceName } from '../validation/interface-name.js';
import type { LinkControl } from './link-control.js';

function noIpCommand(): LanrageError {
  return new LanrageError('NOT_INSTALLED', 'the ip command (iproute2) is not installed', {
    remedy: "Install iproute2, or use the 'lanrage' package, whose native addon changes links without it.",
  });
}

/** Runs `ip` with argv only (no shell); every argument was validated before. */
function ip(args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, shell: false }, (err, stdout, stderr) => {
      if (!err) return resolve(String(stdout));
      const e = err as NodeJS.ErrnoException & { code?: string | number };
      const text = String(stderr).trim();
      if (e.code === 'ENOENT') {
        return reject(noIpCommand());
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

/**
 * Runs many `ip` commands in one process (`ip -force -batch -`, commands on stdin): one
 * process per change set, never one per route. `tolerate` matches the error text of a
 * command whose failure is expected and harmless (a route already gone).
 */
function ipBatch(lines: string[], tolerate: RegExp, timeoutMs = 30_000): Promise<void> {
  if (lines.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'], timeout: timeoutMs, shell: false });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(noIpCommand());
      } else reject(new LanrageError('IO_ERROR', `ip -batch failed: ${err.message}`, { cause: err }));
    });
    child.on('close', (code) => {
      if (code === 0) return resolve();
      // Each failed command prints its error, then "Command failed -:N".
      const errors = stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('Command failed'));
      const real = errors.filter((l) => !tolerate.test(l));
      if (errors.length > 0 && real.length === 0) return resolve();
      const text = (real[0] ?? stderr.trim()).slice(0, 300);
      if (/Operation not permitted|Permission denied/i.test(text)) return reject(new LanrageError('PERMISSION_DENIED', 'ip route: operation not permitted'));
      if (/Cannot find device|does not exist/i.test(text)) return reject(new LanrageError('INTERFACE_NOT_FOUND', 'ip route: no such device'));
      reject(new LanrageError('IO_ERROR', `ip -batch failed (${real.length} of ${lines.length} commands): ${text}`));
    });
    child.stdin.on('error', () => undefined); // reported through 'close'
    child.stdin.end(`${lines.join('\n')}\n`);
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

  async getLink(name: string): Promise<LinkState> {
    validateInterfaceName(name);
    const [link] = JSON.parse(await ip(['-j', 'link', 'show', 'dev', name])) as { mtu?: number; flags?: string[] }[];
    if (!link) throw new LanrageError('INTERFACE_NOT_FOUND', `interface ${name} does not exist`);
    return { mtu: link.mtu ?? 0, up: link.flags?.includes('UP') ?? false };
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
    await ip(['link', 'set', 'dev', name, 'mtu', String(mtu)]);
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

  /** One `ip -batch` process for the whole change; a route already gone is not an error. */
  async changeRoutes(name: string, delta: RouteDelta): Promise<void> {
    validateInterfaceName(name);
    const proto = String(ROUTE_PROTOCOL);
    const lines = [
      ...delta.remove.map((r) => `route del ${parseAllowedIP(r).cidr.text} dev ${name} proto ${proto}`),
      ...delta.add.map((r) => `route replace ${parseAllowedIP(r).cidr.text} dev ${name} proto ${proto}`),
    ];
    await ipBatch(lines, /No such process|No such file or directory/);
  }
}
