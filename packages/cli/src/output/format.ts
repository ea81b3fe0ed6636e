/** "1 minute, 3 seconds ago", as wg prints the latest handshake. */
export function ago(date: Date | string | null, now = Date.now()): string {
  if (date === null) return 'never';
  const then = typeof date === 'string' ? Date.parse(date) : date.getTime();
  let secs = Math.max(0, Math.floor((now - then) / 1000));
  if (secs === 0) return 'Now';
  const parts: string[] = [];
  const units: [string, number][] = [
    ['year', 365 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  for (const [name, size] of units) {
    const n = Math.floor(secs / size);
    secs -= n * size;
    if (n > 0) parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  }
  return `${parts.join(', ')} ago`;
}

/** "1.21 KiB", as wg prints transfer. */
export function bytes(n: bigint | string): string {
  const v = typeof n === 'string' ? BigInt(n) : n;
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  if (v < 1024n) return `${v} B`;
  let f = Number(v);
  let i = 0;
  while (f >= 1024 && i < units.length - 1) {
    f /= 1024;
    i++;
  }
  return `${f.toFixed(2)} ${units[i]}`;
}

/** JSON with bigint as decimal strings. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
}

export const SCHEMA_VERSION = 1;
