import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { generateKeyPair } from '../keys/x25519.js';
import { normalizeDeviceConfig } from '../normalize.js';
import { UapiConnection } from './uapi-connection.js';
import { encodeSet, UapiGetParser } from './uapi-protocol.js';

const pk = Key.fromHex('b'.repeat(64));
const priv = generateKeyPair().privateKey;

const GET_REPLY = `private_key=${priv.toHex()}
listen_port=51820
fwmark=7
public_key=${pk.toHex()}
preshared_key=${'0'.repeat(64)}
protocol_version=1
endpoint=[2001:db8::1]:51820
last_handshake_time_sec=1700000000
last_handshake_time_nsec=123456789
tx_bytes=18446744073709551615
rx_bytes=9007199254740993
persistent_keepalive_interval=25
allowed_ip=10.0.0.0/24
allowed_ip=fd00::/64
public_key=${'c'.repeat(64)}
last_handshake_time_sec=0
last_handshake_time_nsec=0
errno=0

`;

describe('encodeSet', () => {
  it('emits device fields in kernel order, hex keys, replace_peers only when replacing', () => {
    const text = [
      ...encodeSet(
        normalizeDeviceConfig({
          privateKey: priv,
          listenPort: 1,
          fwmark: 2,
          peers: [
            { publicKey: pk, presharedKey: null, endpoint: '[2001:db8::1]:5', persistentKeepalive: 0, allowedIPs: ['10.0.0.1/24'] },
            { publicKey: pk, updateOnly: true, allowedIPsAdd: ['10.1.0.0/16'], allowedIPsRemove: ['10.2.0.0/16'] },
            { publicKey: pk, remove: true },
          ],
        }),
      ),
    ].join('');
    expect(text).toBe(
      [
        'set=1',
        'fwmark=2',
        'listen_port=1',
        `private_key=${priv.toHex()}`,
        `public_key=${pk.toHex()}`,
        `preshared_key=${'0'.repeat(64)}`,
        'endpoint=[2001:db8::1]:5',
        'persistent_keepalive_interval=0',
        'replace_allowed_ips=true',
        'allowed_ip=10.0.0.0/24',
        `public_key=${pk.toHex()}`,
        'update_only=true',
        'allowed_ip=10.1.0.0/16',
        'allowed_ip=-10.2.0.0/16',
        `public_key=${pk.toHex()}`,
        'remove=true',
        '',
        '',
      ].join('\n'),
    );
    expect(text).not.toContain('replace_peers');
    expect([...encodeSet(normalizeDeviceConfig({ replacePeers: true }))].join('')).toBe('set=1\nreplace_peers=true\n\n');
  });

  it('streams large sets in bounded chunks', () => {
    const peers = Array.from({ length: 5000 }, (_, i) => {
      const bytes = new Uint8Array(32).fill(0x55);
      bytes[0] = i & 0xff;
      bytes[1] = i >> 8;
      return { publicKey: Key.fromBytes(bytes), allowedIPs: [`10.${i >> 8}.${i & 0xff}.0/24`] };
    });
    const chunks = [...encodeSet(normalizeDeviceConfig({ peers }), 16 * 1024)];
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.length).toBeLessThan(16 * 1024 + 512);
    expect(chunks.join('').endsWith('\n\n')).toBe(true);
  });
});

describe('UapiGetParser', () => {
  it('parses a reply split at every byte position', () => {
    for (let cut = 0; cut <= GET_REPLY.length; cut += 7) {
      const p = new UapiGetParser('wg0');
      p.push(GET_REPLY.slice(0, cut));
      expect(p.push(GET_REPLY.slice(cut))).toBe('');
      const d = p.result();
      expect(d.listenPort).toBe(51820);
      expect(d.fwmark).toBe(7);
      expect(d.privateKey?.equals(priv)).toBe(true);
      expect(d.publicKey).not.toBeNull();
      expect(d.peers).toHaveLength(2);
      const [a, b] = d.peers;
      expect(a?.txBytes).toBe(18446744073709551615n); // R5: u64 as bigint
      expect(a?.rxBytes).toBe(9007199254740993n);
      expect(a?.lastHandshake?.getTime()).toBe(1700000000123);
      expect(a?.lastHandshakeNanos).toBe(123456789);
      expect(a?.presharedKey).toBeNull();
      expect(a?.endpoint).toBe('[2001:db8::1]:51820');
      expect(a?.allowedIPs).toEqual(['10.0.0.0/24', 'fd00::/64']);
      expect(b?.lastHandshake).toBeNull(); // R5: zero means never
    }
  });

  it('E4 a peer that roamed to a link-local address reads back with its zone; a mapped IPv4 address round-trips; a bad zone is refused', () => {
    const reply = (ep: string) => `public_key=${pk.toHex()}\nendpoint=${ep}\nerrno=0\n\n`;
    const read = (ep: string) => {
      const p = new UapiGetParser('wg0');
      p.push(reply(ep));
      return p.result().peers[0]?.endpoint;
    };
    expect(read('[fe80::1%eth0]:51820')).toBe('[fe80::1%eth0]:51820');
    expect(read('[::ffff:192.0.2.1]:1')).toBe('[::ffff:192.0.2.1]:1');
    expect(() => read('[fe80::1%eth0;rm]:51820')).toThrow();
  });

  it.each([
    ['no key=value', 'garbage\n\n'],
    ['peer key before any peer', 'allowed_ip=10.0.0.0/8\nerrno=0\n\n'],
    ['bad number', 'listen_port=70000\nerrno=0\n\n'],
    ['bad hex key', 'public_key=zz\nerrno=0\n\n'],
    ['u64 overflow', `public_key=${pk.toHex()}\nrx_bytes=18446744073709551616\nerrno=0\n\n`],
  ])('garbage (%s) is a typed error', (_n, reply) => {
    const p = new UapiGetParser('wg0');
    let code: string | undefined;
    try {
      p.push(reply);
      p.result();
    } catch (err) {
      code = (err as LanrageError).code;
    }
    expect(['PROTOCOL_ERROR', 'INVALID_KEY', 'INVALID_ALLOWED_IP']).toContain(code);
  });

  it('a reply with errno is the mapped error', () => {
    const p = new UapiGetParser('wg0');
    p.push('errno=-19\n\n');
    expect(() => p.result()).toThrow(expect.objectContaining({ code: 'INTERFACE_NOT_FOUND', errno: 19 }));
  });
});

describe('UapiConnection against a scripted socket', () => {
  let dir: string;
  let server: Server | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lanrage-uapi-'));
  });
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function serve(onRequest: (request: string, sock: Socket) => void): Promise<string> {
    const path = join(dir, 'wg0.sock');
    server = createServer((sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        let i = buf.indexOf('\n\n');
        while (i >= 0) {
          const req = buf.slice(0, i + 2);
          buf = buf.slice(i + 2);
          onRequest(req, sock);
          i = buf.indexOf('\n\n');
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => server?.listen(path, () => r()));
    return path;
  }

  it('serializes many requests on one persistent connection', async () => {
    let connections = 0;
    const path = await serve((req, sock) => sock.write(req.startsWith('get') ? GET_REPLY : 'errno=0\n\n'));
    server?.on('connection', () => connections++);
    const conn = new UapiConnection('wg0', path);
    const ops = Array.from({ length: 50 }, (_, i) => (i % 2 ? conn.get() : conn.set(normalizeDeviceConfig({ listenPort: i }))));
    await Promise.all(ops);
    expect(connections).toBe(1);
    conn.close();
  });

  it('a reply trickling in one byte at a time is read to its blank line', async () => {
    const path = await serve((_req, sock) => {
      let i = 0;
      const t = setInterval(() => {
        sock.write(GET_REPLY.slice(i, i + 50));
        i += 50;
        if (i >= GET_REPLY.length) clearInterval(t);
      }, 1);
    });
    const conn = new UapiConnection('wg0', path);
    expect((await conn.get()).peers).toHaveLength(2);
    conn.close();
  });

  it('a silent implementation is TIMEOUT, and the next request reconnects', async () => {
    let n = 0;
    const path = await serve((_req, sock) => {
      if (n++ > 0) sock.write('errno=0\n\n');
    });
    const conn = new UapiConnection('wg0', path, { timeoutMs: 200 });
    expect(((await conn.set(normalizeDeviceConfig({ listenPort: 1 })).catch((e) => e)) as LanrageError).code).toBe('TIMEOUT');
    await conn.set(normalizeDeviceConfig({ listenPort: 1 }));
    conn.close();
  });

  it('a connection closed mid-reply is a typed error', async () => {
    const path = await serve((_req, sock) => sock.end(GET_REPLY.slice(0, 100)));
    const conn = new UapiConnection('wg0', path);
    expect(((await conn.get().catch((e) => e)) as LanrageError).code).toBe('PROTOCOL_ERROR');
  });

  it('garbage replies are PROTOCOL_ERROR', async () => {
    const path = await serve((_req, sock) => sock.write('HTTP/1.1 400 Bad Request\n\n'));
    const conn = new UapiConnection('wg0', path);
    expect(((await conn.set(normalizeDeviceConfig({ listenPort: 1 })).catch((e) => e)) as LanrageError).code).toBe('PROTOCOL_ERROR');
    conn.close();
  });

  it('errno replies map to codes (EADDRINUSE → PORT_IN_USE)', async () => {
    const path = await serve((_req, sock) => sock.write('errno=-98\n\n'));
    const conn = new UapiConnection('wg0', path);
    expect(((await conn.set(normalizeDeviceConfig({ listenPort: 1 })).catch((e) => e)) as LanrageError).code).toBe('PORT_IN_USE');
    conn.close();
  });

  it('a stale socket file (no listener) and a missing socket are INTERFACE_NOT_FOUND', async () => {
    const stale = join(dir, 'stale.sock');
    const s = createServer();
    await new Promise<void>((r) => s.listen(stale, () => r()));
    // Close the listener but keep the file, as a killed process leaves it.
    (s as unknown as { _handle: { close(): void } })._handle.close();
    await writeFile(join(dir, 'touch'), '');
    expect(((await new UapiConnection('x', stale).get().catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
    expect(((await new UapiConnection('x', join(dir, 'none.sock')).get().catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
  });
});
