/**
 * One `ping -n 1 -w <ms> <ip>` reply, in any locale: on a line containing `TTL=` (IPv4),
 * the last number after `=` or `<` before `TTL=`; IPv6 replies have no TTL, so a line with the
 * target address and `=`/`<` a time in `ms` counts too. `<1ms` is 0.5 ms.
 * The exit code is not trusted (ping can exit 0 for "Destination host unreachable").
 */
export function parseWindowsPing(output: string, target: string): number | null {
  const lines = output.replace(/\r/g, '').split('\n');
  for (const line of lines) {
    const hasTtl = /TTL=\d+/i.test(line);
    const fromTarget = line.includes(target) && !/unreachable|inaccessible|nicht erreichbar|недоступ/i.test(line);
    if (!hasTtl && !fromTarget) continue;
    let m: RegExpExecArray | null = null;
    if (hasTtl) {
      // The time is the last `=n` / `<n` before TTL=, whatever its localized unit (мс arrives in
      // the OEM code page, decoded here as latin1).
      const re = /([=<])\s*([0-9]+(?:[.,][0-9]+)?)/g;
      const beforeTtl = line.slice(0, line.search(/TTL=/i));
      for (let x = re.exec(beforeTtl); x; x = re.exec(beforeTtl)) m = x;
    } else {
      m = /([=<])\s*([0-9]+(?:[.,][0-9]+)?)\s*ms/i.exec(line);
    }
    if (!m) continue;
    const value = Number((m[2] as string).replace(',', '.'));
    return m[1] === '<' ? value / 2 : value;
  }
  return null;
}
