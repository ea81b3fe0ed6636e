import { cidrContains, parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';

/**
 * The routes an interface needs for its peers, as wg-quick adds them: every allowed IP that
 * the interface's own address prefixes do not already cover (the kernel adds those), once.
 * A default route (`/0`) is left out unless `allowDefaultRoute`, so adding a peer never
 * silently captures all traffic.
 */
export function routesForPeers(addresses: readonly string[], allowedIPs: Iterable<string>, opts: { allowDefaultRoute?: boolean } = {}): string[] {
  const own = addresses.map((a) => {
    const c = parseInterfaceAddress(a);
    return parseAllowedIP(c.text).cidr;
  });
  const out = new Set<string>();
  for (const text of allowedIPs) {
    const cidr = parseAllowedIP(text).cidr;
    if (cidr.prefix === 0 && !opts.allowDefaultRoute) continue;
    if (own.some((o) => cidrContains(o, cidr))) continue;
    out.add(cidr.text);
  }
  return [...out].sort();
}
