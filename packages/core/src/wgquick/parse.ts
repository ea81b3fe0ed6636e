import { LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { normalizeAllowedIPs, parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';
import { parseEndpoint } from '../validation/endpoint.js';
import { parseIp } from '../validation/ip.js';
import { validateFwmark, validateKeepalive, validateListenPort, validateMtu } from '../validation/numbers.js';
import type { WgQuickConfig, WgQuickInterface, WgQuickPeer } from './types.js';

export const MAX_CONFIG_BYTES = 64 * 1024 * 1024;
export const MAX_LINE_BYTES = 8 * 1024 * 1024;
const DOMAIN_RE = /^(?=.{1,253}$)[a-zA-Z0-9_](?:[a-zA-Z0-9_-]{0,62})(?:\.[a-zA-Z0-9_](?:[a-zA-Z0-9_-]{0,62}))*\.?$/;

function parseError(line: number, message: string, cause?: unknown): LanrageError {
  return new LanrageError('CONFIG_PARSE_ERROR', `line ${line}: ${message}`, { details: { line }, ...(cause ? { cause } : {}) });
}

/** Decodes file bytes: UTF-8 (a BOM is dropped), or UTF-16 with a BOM; anything else is an error (C5). */
export function decodeConfigBytes(bytes: Uint8Array): string {
  if (bytes.length > MAX_CONFIG_BYTES) throw new LanrageError('CONFIG_PARSE_ERROR', `configuration is larger than ${MAX_CONFIG_BYTES} bytes`);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    throw new LanrageError('CONFIG_PARSE_ERROR', 'configuration is not valid UTF-8 or UTF-16 text', { cause });
  }
}

type Section =
  | { kind: 'interface'; value: WgQuickInterface; seen: Set<string> }
  | { kind: 'peer'; value: Partial<WgQuickPeer> & { allowedIPs: string[] }; seen: Set<string>; line: number; lines: Map<string, number> };

/** Keys only wg-quick reads (wg never sees them): an empty value leaves them unset, as in wg-quick. */
const WG_QUICK_ONLY = new Set(['address', 'dns', 'mtu', 'table', 'preup', 'postup', 'predown', 'postdown', 'saveconfig']);

const INTERFACE_KEYS = new Set([
  'privatekey',
  'listenport',
  'fwmark',
  'address',
  'dns',
  'mtu',
  'table',
  'preup',
  'postup',
  'predown',
  'postdown',
  'saveconfig',
]);
const PEER_KEYS = new Set(['publickey', 'presharedkey', 'allowedips', 'endpoint', 'persistentkeepalive']);
const LIST_KEYS = new Set(['address', 'dns', 'allowedips', 'preup', 'postup', 'predown', 'postdown']);

function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * Parses a wg-quick configuration (`[Interface]` and `[Peer]` sections). Keys are
 * case-insensitive; `#` starts a comment; list keys may repeat. Errors are CONFIG_PARSE_ERROR
 * with `details.line` and never echo a key (C3, C5, K11). Pre/Post hooks are returned as
 * text and never run (C4).
 */
export function parseWgQuick(input: string | Uint8Array): WgQuickConfig {
  let text = typeof input === 'string' ? input : decodeConfigBytes(input);
  if (text.length > MAX_CONFIG_BYTES) throw new LanrageError('CONFIG_PARSE_ERROR', `configuration is larger than ${MAX_CONFIG_BYTES} bytes`);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const nul = text.indexOf('\0');
  if (nul >= 0) throw parseError(text.slice(0, nul).split('\n').length, 'contains a NUL character');

  let iface: WgQuickInterface | undefined;
  const peers: WgQuickPeer[] = [];
  const warnings: string[] = [];
  /** Per public key: its entry in `peers` and the line of its first section. */
  const byKey = new Map<string, { peer: WgQuickPeer; line: number }>();
  /** Per allowed IP: the line and key of the peer that last took it. */
  const holders = new Map<string, { line: number; key: string }>();
  let section: Section | undefined;
  const finishPeer = () => {
    if (section?.kind !== 'peer') return;
    if (!section.value.publicKey) throw parseError(section.line, 'a [Peer] section is missing its PublicKey');
    const p = section.value;
    const key = (p.publicKey as Key).toBase64();
    const allowedIPs = normalizeAllowedIPs(p.allowedIPs).map((c) => c.text);
    for (const c of allowedIPs) {
      const before = holders.get(c);
      if (before && before.key !== key) {
        warnings.push(
          `line ${section.lines.get('allowedips') ?? section.line}: ${c} is also an allowed IP of the peer at line ${before.line}; the later peer holds it (as in WireGuard)`,
        );
        // The desired state is what the device ends with, so a second apply changes nothing.
        const holder = byKey.get(before.key)?.peer;
        if (holder) holder.allowedIPs = holder.allowedIPs.filter((x) => x !== c);
      }
      holders.set(c, { line: section.line, key });
    }
    const earlier = byKey.get(key);
    if (!earlier) {
      const peer: WgQuickPeer = {
        publicKey: p.publicKey as Key,
        ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
        allowedIPs,
        ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
        ...(p.persistentKeepalive !== undefined ? { persistentKeepalive: p.persistentKeepalive } : {}),
      };
      peers.push(peer);
      byKey.set(key, { peer, line: section.line });
      return;
    }
    // The same key again: merged as `wg setconf` merges it (each section updates the same peer):
    // fields given here win, fields not given keep the earlier value (a preshared key is never
    // dropped), and this section's AllowedIPs replace the earlier ones.
    const e = earlier.peer;
    const kept = ['PresharedKey', 'Endpoint', 'PersistentKeepalive'].filter(
      (f) => !section?.seen.has(f.toLowerCase()) && e[lowerFirst(f) as keyof WgQuickPeer] !== undefined,
    );
    if (p.presharedKey) e.presharedKey = p.presharedKey;
    if (p.endpoint !== undefined) e.endpoint = p.endpoint;
    if (p.persistentKeepalive !== undefined) e.persistentKeepalive = p.persistentKeepalive;
    const dropped = e.allowedIPs.filter((c) => !allowedIPs.includes(c));
    e.allowedIPs = allowedIPs;
    warnings.push(
      `line ${section.line}: this [Peer] has the same PublicKey as the one at line ${earlier.line}; merged as wg setconf does: fields given here win${kept.length > 0 ? `, ${kept.join(', ')} kept from line ${earlier.line}` : ''}, AllowedIPs ${dropped.length > 0 ? `replaced (${dropped.join(', ')} dropped)` : 'from this section'}`,
    );
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i] as string;
    if (raw.length > MAX_LINE_BYTES) throw parseError(lineNo, 'line is too long');
    const hash = raw.indexOf('#');
    const line = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (line.length === 0) continue;
    if (line.startsWith('[')) {
      const name = line.toLowerCase();
      finishPeer();
      if (name === '[interface]') {
        if (iface) throw parseError(lineNo, 'a second [Interface] section');
        iface = emptyInterface();
        section = { kind: 'interface', value: iface, seen: new Set() };
      } else if (name === '[peer]') {
        section = { kind: 'peer', value: { allowedIPs: [] }, seen: new Set(), line: lineNo, lines: new Map() };
      } else {
        throw parseError(lineNo, `unknown section ${/^[\x20-\x7e]{0,40}$/.test(line) ? line : ''}`.trim());
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw parseError(lineNo, 'expected Key = Value');
    const keyName = line.slice(0, eq).trim();
    const key = keyName.toLowerCase();
    const value = line.slice(eq + 1).trim();
    const shownKey = /^[A-Za-z]{1,40}$/.test(keyName) ? keyName : 'key';
    if (!section) throw parseError(lineNo, `${shownKey} is outside of a section`);
    const allowed = section.kind === 'interface' ? INTERFACE_KEYS : PEER_KEYS;
    if (!allowed.has(key)) throw parseError(lineNo, `unknown key ${shownKey} in [${section.kind === 'interface' ? 'Interface' : 'Peer'}]`);
    if (value.length === 0) {
      if (WG_QUICK_ONLY.has(key)) continue; // wg-quick: an empty value is no value
      throw parseError(lineNo, `${shownKey} has no value (wg refuses this line too); remove the line to leave ${shownKey} unset`);
    }
    if (!LIST_KEYS.has(key)) {
      if (section.seen.has(key)) {
        // wg takes the last one; lanrage refuses, so a copy-paste slip is never applied silently.
        throw parseError(lineNo, `${shownKey} is given twice in one section (wg would use the last one; lanrage refuses so neither is applied by mistake)`);
      }
      section.seen.add(key);
    }
    if (section.kind === 'peer' && !section.lines.has(key)) section.lines.set(key, lineNo);
    try {
      if (section.kind === 'interface') applyInterfaceKey(section.value, key, value);
      else applyPeerKey(section.value, key, value, (w) => warnings.push(`line ${lineNo}: ${w}`));
    } catch (err) {
      if (err instanceof LanrageError) throw parseError(lineNo, err.message, err);
      throw err;
    }
  }
  finishPeer();
  // A file of [Peer] sections only (what `wg addconf` users keep) changes peers only.
  if (!iface && peers.length === 0)
    throw new LanrageError('CONFIG_PARSE_ERROR', 'line 1: the configuration has no [Interface] or [Peer] section', { details: { line: 1 } });
  return { interface: iface ?? emptyInterface(), peers, warnings };
}

function emptyInterface(): WgQuickInterface {
  return { addresses: [], dns: [], preUp: [], postUp: [], preDown: [], postDown: [] };
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** An interface address as wg-quick takes it: without a prefix length it is a host address (/32, /128). */
function interfaceAddress(text: string): string {
  if (text.includes('/')) return parseInterfaceAddress(text).text;
  const ip = parseIp(text);
  return parseInterfaceAddress(ip ? `${text}/${ip.family === 4 ? 32 : 128}` : text).text;
}

function applyInterfaceKey(iface: WgQuickInterface, key: string, value: string): void {
  switch (key) {
    case 'privatekey':
      iface.privateKey = Key.parse(value, 'private', 'PrivateKey');
      return;
    case 'listenport':
      iface.listenPort = validateListenPort(value);
      return;
    case 'fwmark':
      iface.fwmark = validateFwmark(value);
      return;
    case 'address':
      for (const a of list(value)) iface.addresses.push(interfaceAddress(a));
      return;
    case 'dns':
      for (const d of list(value)) {
        if (!parseIp(d) && !DOMAIN_RE.test(d)) throw new LanrageError('INVALID_CONFIG', 'DNS entries must be IP addresses or domain names');
        iface.dns.push(d);
      }
      return;
    case 'mtu':
      iface.mtu = validateMtu(value);
      return;
    case 'table':
      if (!/^(?:off|auto|[0-9]{1,10}|[a-zA-Z_][a-zA-Z0-9_-]{0,63})$/.test(value))
        throw new LanrageError('INVALID_CONFIG', 'Table must be off, auto, a number or a table name');
      iface.table = value;
      return;
    case 'saveconfig':
      if (value !== 'true' && value !== 'false') throw new LanrageError('INVALID_CONFIG', 'SaveConfig must be true or false');
      iface.saveConfig = value === 'true';
      return;
    case 'preup':
      iface.preUp.push(value);
      return;
    case 'postup':
      iface.postUp.push(value);
      return;
    case 'predown':
      iface.preDown.push(value);
      return;
    case 'postdown':
      iface.postDown.push(value);
      return;
  }
}

function applyPeerKey(peer: Partial<WgQuickPeer> & { allowedIPs: string[] }, key: string, value: string, warn: (w: string) => void): void {
  switch (key) {
    case 'publickey':
      peer.publicKey = Key.parse(value, 'public', 'PublicKey');
      return;
    case 'presharedkey':
      peer.presharedKey = Key.parse(value, 'preshared', 'PresharedKey');
      return;
    case 'allowedips':
      for (const a of list(value)) {
        const { cidr, normalized } = parseAllowedIP(a);
        if (normalized && /^[\x20-\x7e]{1,64}$/.test(a)) warn(`AllowedIPs ${a} has host bits set; applied as ${cidr.text} (wg warns the same)`);
        peer.allowedIPs.push(cidr.text);
      }
      return;
    case 'endpoint':
      peer.endpoint = parseEndpoint(value).text;
      return;
    case 'persistentkeepalive':
      peer.persistentKeepalive = validateKeepalive(value);
      return;
  }
}
