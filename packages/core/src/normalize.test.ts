import { describe, expect, it } from 'vitest';
import type { LanrageError } from './errors.js';
import { Key } from './keys/key.js';
import { generateKeyPair } from './keys/x25519.js';
import { resolveEndpoint } from './net/resolve.js';
import { normalizeDeviceConfig, prepareDeviceConfig } from './normalize.js';
import { parseEndpoint } from './validation/endpoint.js';

const peerKey = generateKeyPair().publicKey;

function caught(fn: () => unknown): LanrageError {
  try {
    fn();
  } catch (err) {
    return err as LanrageError;
  }
  throw new Error('expected an error');
}

describe('normalizeDeviceConfig', () => {
  it('normalises keys, prefixes, endpoints and numbers', () => {
    const n = normalizeDeviceConfig({
      listenPort: 51820,
      fwmark: 0,
      peers: [{ publicKey: peerKey.toBase64(), endpoint: '[2001:DB8::1]:1', allowedIPs: ['10.0.0.1/24'], persistentKeepalive: 25 }],
    });
    const p = n.peers[0];
    expect(p?.publicKey.equals(peerKey)).toBe(true);
    expect(p?.endpoint?.text).toBe('[2001:db8::1]:1');
    expect(p?.allowedIPs.map((c) => c.text)).toEqual(['10.0.0.0/24']);
    expect(p?.replaceAllowedIPs).toBe(true);
  });

  it('A5 an empty allowedIPs clears; absent leaves unchanged', () => {
    const [clear, keep] = normalizeDeviceConfig({ peers: [{ publicKey: peerKey, allowedIPs: [] }, { publicKey: peerKey }] }).peers;
    expect(clear?.replaceAllowedIPs).toBe(true);
    expect(clear?.allowedIPs).toEqual([]);
    expect(keep?.replaceAllowedIPs).toBe(false);
  });

  it('K6 refuses all-zero private and preshared keys; null removes explicitly', () => {
    const zero = Key.fromBytes(new Uint8Array(32), 'private');
    expect(caught(() => normalizeDeviceConfig({ privateKey: zero })).code).toBe('INVALID_KEY');
    expect(caught(() => normalizeDeviceConfig({ peers: [{ publicKey: peerKey, presharedKey: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }] })).code).toBe(
      'INVALID_KEY',
    );
    expect(normalizeDeviceConfig({ privateKey: null }).privateKey).toBeNull();
    expect(normalizeDeviceConfig({ peers: [{ publicKey: peerKey, presharedKey: null }] }).peers[0]?.presharedKey).toBeNull();
  });

  it('K8 refuses a low-order peer key', () => {
    expect(caught(() => normalizeDeviceConfig({ peers: [{ publicKey: '4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=' }] })).code).toBe('WEAK_PUBLIC_KEY');
  });

  it('K9 refuses our own public key as a peer when the private key is in the same change', () => {
    const me = generateKeyPair();
    const err = caught(() => normalizeDeviceConfig({ privateKey: me.privateKey, peers: [{ publicKey: me.publicKey }] }));
    expect(err.code).toBe('PEER_IS_SELF');
    expect(err.message).not.toContain(me.privateKey.toBase64());
  });

  it('K11 an invalid preshared key is not echoed', () => {
    const bad = `${generateKeyPair().privateKey.toBase64().slice(0, 43)}B`;
    const err = caught(() => normalizeDeviceConfig({ peers: [{ publicKey: peerKey, presharedKey: bad }] }));
    expect(err.code).toBe('INVALID_KEY');
    expect(JSON.stringify(err)).not.toContain(bad);
  });

  it('replace and incremental allowed IPs are exclusive', () => {
    expect(caught(() => normalizeDeviceConfig({ peers: [{ publicKey: peerKey, allowedIPs: [], allowedIPsAdd: ['10.0.0.0/8'] }] })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('E5 endpoint resolution', () => {
  it('resolves host names through the lookup', async () => {
    const ep = await resolveEndpoint(parseEndpoint('peer.example:51820'), { lookup: async () => ({ address: '192.0.2.7', family: 4 }) });
    expect(ep.text).toBe('192.0.2.7:51820');
  });
  it('NXDOMAIN fails at once', async () => {
    const t0 = Date.now();
    const err = await resolveEndpoint(parseEndpoint('nope.example:1'), {
      lookup: async () => {
        throw Object.assign(new Error('nx'), { code: 'ENOTFOUND' });
      },
    }).catch((e) => e);
    expect(err.code).toBe('INVALID_ENDPOINT');
    expect(Date.now() - t0).toBeLessThan(500);
  });
  it('transient failures retry within the time budget, then TIMEOUT', async () => {
    let calls = 0;
    const err = await resolveEndpoint(parseEndpoint('slow.example:1'), {
      timeoutMs: 1500,
      lookup: async () => {
        calls++;
        throw Object.assign(new Error('again'), { code: 'EAI_AGAIN' });
      },
    }).catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
    expect(calls).toBeGreaterThanOrEqual(2);
  });
  it('a lookup that hangs is bounded', async () => {
    const err = await resolveEndpoint(parseEndpoint('hang.example:1'), { timeoutMs: 300, lookup: () => new Promise(() => {}) }).catch((e) => e);
    expect(err.code).toBe('TIMEOUT');
  });
  it('prepareDeviceConfig resolves localhost for real', async () => {
    const n = await prepareDeviceConfig({ peers: [{ publicKey: peerKey, endpoint: 'localhost:51820' }] });
    expect(['127.0.0.1:51820', '[::1]:51820']).toContain(n.peers[0]?.endpoint?.text);
  });
});

describe('prepareDeviceConfig on large changes', () => {
  it('validates 5,000 peers in chunks with the same result and errors as the synchronous form', async () => {
    const peers = Array.from({ length: 5000 }, (_, i) => {
      const b = new Uint8Array(32).fill(0x44);
      b[0] = i & 0xff;
      b[1] = i >> 8;
      return { publicKey: Key.fromBytes(b), allowedIPs: [`10.${i >> 8}.${i & 0xff}.1/24`] };
    });
    const n = await prepareDeviceConfig({ peers });
    expect(n.peers).toHaveLength(5000);
    expect(n.peers[4999]?.allowedIPs[0]?.text).toBe('10.19.135.0/24');
    expect(JSON.stringify(n.peers.map((p) => p.publicKey.toBase64()))).toBe(
      JSON.stringify(normalizeDeviceConfig({ peers }).peers.map((p) => p.publicKey.toBase64())),
    );
    const bad = [...peers, { publicKey: 'nope' }];
    expect(((await prepareDeviceConfig({ peers: bad }).catch((e) => e)) as LanrageError).code).toBe('INVALID_KEY');
    const me = generateKeyPair();
    expect(
      ((await prepareDeviceConfig({ privateKey: me.privateKey, peers: [...peers, { publicKey: me.publicKey }] }).catch((e) => e)) as LanrageError).code,
    ).toBe('PEER_IS_SELF');
  });
});
