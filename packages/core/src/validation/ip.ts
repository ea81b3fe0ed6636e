/**
 * Strict IP literal parsing and canonical formatting, with no DNS and no Node `net` quirks:
 * the canonical text is what the kernel reads back and what `wg show` prints, so comparisons
 * between desired and live state are plain string equality.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Dotted-quad IPv4 with no leading zeros (as inet_pton); null if not one. Scans character
 * codes (no split, no regex): it runs for every allowed IP of every churn operation.
 */
export function parseIPv4(text: string): Uint8Array | null {
  const out = new Uint8Array(4);
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      // '.' (or the end): close the octet
      if (digits === 0 || octet > 3) return null;
      out[octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return null; // leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return null;
    } else {
      return null;
    }
  }
  return octet === 4 ? out : null;
}

/** RFC 4291 IPv6 text (with optional trailing dotted quad); no zone index; null if not one. */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string, allowV4Tail: boolean): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    const words: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] as string;
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (!v4) return null;
        words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
      } else {
        if (!HEX_GROUP.test(g)) return null;
        words.push(Number.parseInt(g, 16));
      }
    }
    return words;
  };
  let words: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(text, true);
    if (all?.length !== 8) return null;
    words = all;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[i * 2] = (words[i] as number) >> 8;
    out[i * 2 + 1] = (words[i] as number) & 0xff;
  }
  return out;
}

export function parseIp(text: string): IpAddress | null {
  if (text.includes(':')) {
    const bytes = parseIPv6(text);
    return bytes ? { family: 6, bytes } : null;
  }
  const bytes = parseIPv4(text);
  return bytes ? { family: 4, bytes } : null;
}

export function formatIPv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 text, matching glibc's inet_ntop (which `wg` and the kernel tools use): the longest
 * run of two or more zero words becomes `::` (the first on a tie), and `::a.b.c.d` /
 * `::ffff:a.b.c.d` keep the dotted tail.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number));
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
      if (curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i > 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += formatIPv4(bytes.subarray(12, 16));
      break;
    }
    out += (words[i] as number).toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

export function formatIp(addr: IpAddress): string {
  return addr.family === 4 ? formatIPv4(addr.bytes) : formatIPv6(addr.bytes);
}

/** Zeroes the bits after `prefix`; returns whether any bit was set there. */
export function maskInPlace(bytes: Uint8Array, prefix: number): boolean {
  let changed = false;
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
    const v = (bytes[i] as number) & mask;
    if (v !== bytes[i]) changed = true;
    bytes[i] = v;
  }
  return changed;
}

/** True when `inner` (address or prefix start) lies inside `outer/prefix`. */
export function prefixContains(outer: Uint8Array, prefix: number, inner: Uint8Array): boolean {
  if (outer.length !== inner.length) return false;
  for (let i = 0; i < outer.length; i++) {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    if (keep === 0) return true;
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((outer[i] as number) & mask) !== ((inner[i] as number) & mask)) return false;
  }
  return true;
}
