import { describe, expect, it } from 'vitest';
import type { LanrageError } from '../errors.js';
import { generateKeyPair } from '../keys/x25519.js';
import { setDeviceConfig } from './index.js';
import { MemoryBackend } from './memory-backend.js';

const a = generateKeyPair().publicKey;
const b = generateKeyPair().publicKey;

async function make() {
  const be = new MemoryBackend({ foreignLinks: ['eth0'] });
  await be.createInterface('wg0');
  return be;
}

describe('MemoryBackend has the kernel semantics', () => {
  it('creates, lists and deletes idempotently; N8 missing and N7 non-WireGuard devices are typed', async () => {
    const be = await make();
    expect(await be.listDevices()).toEqual(['wg0']);
    expect(((await be.createInterface('wg0').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_EXISTS');
    expect(((await be.getDevice('nope').catch((e) => e)) as LanrageError).code).toBe('INTERFACE_NOT_FOUND');
    expect(((await be.getDevice('eth0').catch((e) => e)) as LanrageError).code).toBe('NOT_WIREGUARD');
    await be.deleteInterface('wg0');
    await be.deleteInterface('wg0');
    expect(await be.listDevices()).toEqual([]);
  });

  it('K9 silently ignores a peer equal to our own public key', async () => {
    const be = await make();
    const me = generateKeyPair();
    await setDeviceConfig(be, 'wg0', { privateKey: me.privateKey });
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: me.publicKey, allowedIPs: ['10.0.0.1/32'] }] });
    expect((await be.getDevice('wg0')).peers).toEqual([]);
  });

  it('K10 a new private key silently removes the peer with the matching public key', async () => {
    const be = await make();
    const next = generateKeyPair();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: next.publicKey }, { publicKey: a }] });
    await setDeviceConfig(be, 'wg0', { privateKey: next.privateKey });
    expect((await be.getDevice('wg0')).peers.map((p) => p.publicKey.toBase64())).toEqual([a.toBase64()]);
  });

  it('A3 an allowed IP given to a second peer moves to it', async () => {
    const be = await make();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a, allowedIPs: ['10.0.0.0/24', '10.1.0.0/24'] }] });
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: b, allowedIPsAdd: ['10.0.0.0/24'] }] });
    const dev = await be.getDevice('wg0');
    expect(dev.peers.find((p) => p.publicKey.equals(a))?.allowedIPs).toEqual(['10.1.0.0/24']);
    expect(dev.peers.find((p) => p.publicKey.equals(b))?.allowedIPs).toEqual(['10.0.0.0/24']);
  });

  it('updateOnly never creates; remove; replace peers; incremental add/remove', async () => {
    const be = await make();
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a, updateOnly: true, endpoint: '1.2.3.4:5' }] });
    expect((await be.getDevice('wg0')).peers).toEqual([]);
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a, allowedIPs: ['10.0.0.0/24'] }, { publicKey: b }] });
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a, allowedIPsAdd: ['10.2.0.0/16'], allowedIPsRemove: ['10.0.0.0/24'] }] });
    expect((await be.getDevice('wg0')).peers[0]?.allowedIPs).toEqual(['10.2.0.0/16']);
    await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a, remove: true }] });
    expect((await be.getDevice('wg0')).peers.map((p) => p.publicKey.toBase64())).toEqual([b.toBase64()]);
    await setDeviceConfig(be, 'wg0', { replacePeers: true, peers: [{ publicKey: a }] });
    expect((await be.getDevice('wg0')).peers.map((p) => p.publicKey.toBase64())).toEqual([a.toBase64()]);
  });

  it('R2 a listen port in use fails after fwmark was applied (kernel order, no rollback)', async () => {
    const be = await make();
    await be.createInterface('wg1');
    await setDeviceConfig(be, 'wg0', { listenPort: 51820 });
    const err = (await setDeviceConfig(be, 'wg1', { fwmark: 7, listenPort: 51820 }).catch((e) => e)) as LanrageError;
    expect(err.code).toBe('PORT_IN_USE');
    expect((await be.getDevice('wg1')).fwmark).toBe(7);
  });

  it('L6 a failure mid-batch reports PARTIAL_APPLY with what was applied', async () => {
    const be = await make();
    be.failNextSet('wg0', 2);
    const err = (await setDeviceConfig(be, 'wg0', { peers: [{ publicKey: a }, { publicKey: b }, { publicKey: generateKeyPair().publicKey }] }).catch(
      (e) => e,
    )) as LanrageError;
    expect(err.code).toBe('PARTIAL_APPLY');
    expect(err.details).toMatchObject({ appliedPeers: [0, 1], failedPeers: [2], deviceApplied: true });
    expect((await be.getDevice('wg0')).peers.length).toBe(2);
  });

  it('validates before changing anything', async () => {
    const be = await make();
    const err = (await setDeviceConfig(be, 'wg0', { listenPort: 1, peers: [{ publicKey: a, allowedIPs: ['10.0.0.0/33'] }] }).catch((e) => e)) as LanrageError;
    expect(err.code).toBe('INVALID_ALLOWED_IP');
    expect((await be.getDevice('wg0')).listenPort).toBe(0);
  });
});
