import { describe, expect, it } from 'vitest';
import { generateKeyPair, generatePresharedKey } from '../keys/x25519.js';
import { setDeviceConfig } from '../testing/index.js';
import { MemoryBackend } from '../testing/memory-backend.js';
import { parseWgQuick } from '../wgquick/parse.js';
import { applyDesired, desiredFromWgQuick } from './apply.js';
import { type DesiredDevice, isEmptyPlan, planApply } from './plan.js';

const me = generateKeyPair();
const [p1, p2, p3] = [generateKeyPair().publicKey, generateKeyPair().publicKey, generateKeyPair().publicKey];
const psk = generatePresharedKey();

async function device(incremental = true) {
  const be = new MemoryBackend({ allowedIPRemoval: incremental });
  await be.createInterface('wg0');
  await setDeviceConfig(be, 'wg0', {
    privateKey: me.privateKey,
    listenPort: 51820,
    peers: [
      { publicKey: p1, endpoint: '192.0.2.1:1', allowedIPs: ['10.0.1.0/24'], persistentKeepalive: 25 },
      { publicKey: p2, endpoint: '192.0.2.2:1', allowedIPs: ['10.0.2.0/24', '10.0.22.0/24'] },
    ],
  });
  return be;
}

const base = (): DesiredDevice => ({
  privateKey: me.privateKey,
  listenPort: 51820,
  peers: [
    { publicKey: p1, endpoint: '192.0.2.1:1', allowedIPs: ['10.0.1.0/24'], persistentKeepalive: 25 },
    { publicKey: p2, endpoint: '192.0.2.2:1', allowedIPs: ['10.0.2.0/24', '10.0.22.0/24'] },
  ],
});

describe('planApply', () => {
  it('an identical desired state is an empty plan', async () => {
    const be = await device();
    const plan = planApply(await be.getDevice('wg0'), base());
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.unchanged).toBe(2);
    expect(plan.config.peers).toBeUndefined();
  });

  it('an endpoint change is an update-only op with just the endpoint', async () => {
    const be = await device();
    const want = base();
    (want.peers[0] as { endpoint: string }).endpoint = '198.51.100.9:7';
    const plan = planApply(await be.getDevice('wg0'), want);
    expect(plan.update).toEqual([
      {
        publicKey: p1.toBase64(),
        changes: ['endpoint 192.0.2.1:1 → 198.51.100.9:7'],
        fields: [{ field: 'endpoint', from: '192.0.2.1:1', to: '198.51.100.9:7' }],
      },
    ]);
    expect(plan.config.peers).toEqual([{ publicKey: p1, updateOnly: true, endpoint: '198.51.100.9:7' }]);
    expect(plan.config.replacePeers).toBeUndefined();
  });

  it('keepalive and preshared key changes', async () => {
    const be = await device();
    const want = base();
    want.peers[0] = { ...(want.peers[0] as DesiredDevice['peers'][0]), persistentKeepalive: 5, presharedKey: psk };
    const plan = planApply(await be.getDevice('wg0'), want);
    expect(plan.config.peers?.[0]).toMatchObject({ updateOnly: true, persistentKeepalive: 5, presharedKey: psk });
    expect(JSON.stringify(plan.update)).not.toContain(psk.toBase64());
    expect(plan.update[0]?.fields).toEqual([
      { field: 'persistentKeepalive', from: 25, to: 5 },
      { field: 'presharedKey', from: null, to: '(set)' },
    ]);
  });

  it('allowed IPs change incrementally where supported, else by replacement', async () => {
    const want = base();
    want.peers[1] = { ...(want.peers[1] as DesiredDevice['peers'][0]), allowedIPs: ['10.0.2.0/24', '10.0.33.0/24'] };
    const inc = planApply(await (await device()).getDevice('wg0'), want, { incrementalAllowedIPs: true });
    expect(inc.config.peers?.[0]).toMatchObject({ updateOnly: true, allowedIPsAdd: ['10.0.33.0/24'], allowedIPsRemove: ['10.0.22.0/24'] });
    const full = planApply(await (await device()).getDevice('wg0'), want, { incrementalAllowedIPs: false });
    expect(full.config.peers?.[0]).toMatchObject({ updateOnly: true, allowedIPs: ['10.0.2.0/24', '10.0.33.0/24'] });
    const addOnly = base();
    addOnly.peers[0] = { ...(addOnly.peers[0] as DesiredDevice['peers'][0]), allowedIPs: ['10.0.1.0/24', '10.0.11.0/24'] };
    expect(planApply(await (await device()).getDevice('wg0'), addOnly).config.peers?.[0]).toMatchObject({ allowedIPsAdd: ['10.0.11.0/24'] });
  });

  it('new peers are added, vanished peers removed (or kept when asked)', async () => {
    const be = await device();
    const want: DesiredDevice = { peers: [base().peers[0] as DesiredDevice['peers'][0], { publicKey: p3, allowedIPs: ['10.0.3.0/24'] }] };
    const plan = planApply(await be.getDevice('wg0'), want);
    expect(plan.add.map((a) => a.publicKey)).toEqual([p3.toBase64()]);
    expect(plan.remove).toEqual([p2.toBase64()]);
    expect(plan.device).toEqual([]); // absent device fields are left alone
    const keep = planApply(await be.getDevice('wg0'), want, { keepUnlisted: true });
    expect(keep.remove).toEqual([]);
  });

  it('REPLACE_PEERS only when asked', async () => {
    const be = await device();
    const plan = planApply(await be.getDevice('wg0'), base(), { replacePeers: true });
    expect(plan.config.replacePeers).toBe(true);
    expect(plan.config.peers).toHaveLength(2);
  });

  it('device fields: new private key, port and fwmark', async () => {
    const be = await device();
    const want = { ...base(), privateKey: generateKeyPair().privateKey, listenPort: 40000, fwmark: 3 };
    expect(planApply(await be.getDevice('wg0'), want).device).toEqual(['private key (new public key)', 'listen port 51820 → 40000', 'fwmark 0 → 3']);
  });
});

describe('applyDesired', () => {
  it('sends one setDevice with only the differences, and the device then matches', async () => {
    for (const incremental of [true, false]) {
      const be = await device(incremental);
      const want: DesiredDevice = {
        peers: [
          { publicKey: p1, endpoint: '198.51.100.1:9', allowedIPs: ['10.0.1.0/24'], persistentKeepalive: 25 },
          { publicKey: p2, endpoint: '192.0.2.2:1', allowedIPs: ['10.0.2.0/24'] },
          { publicKey: p3, allowedIPs: ['10.0.3.0/24'] },
        ],
      };
      be.calls.length = 0;
      const r = await applyDesired(be, 'wg0', want);
      expect(r.applied).toBe(true);
      expect(be.calls.filter((c) => c.method === 'setDevice')).toHaveLength(1);
      const second = await applyDesired(be, 'wg0', want);
      expect(second.applied).toBe(false);
      expect(isEmptyPlan(second.plan)).toBe(true);
    }
  });

  it('--dry-run changes nothing; a wg-quick file is a desired state', async () => {
    const be = await device();
    const text = `[Interface]\nListenPort = 51820\nAddress = 10.66.0.1/16\n\n[Peer]\nPublicKey = ${p1.toBase64()}\nEndpoint = 192.0.2.1:1\nAllowedIPs = 10.0.1.0/24\nPersistentKeepalive = 25\n`;
    const r = await applyDesired(be, 'wg0', desiredFromWgQuick(parseWgQuick(text)), { dryRun: true });
    expect(r.applied).toBe(false);
    expect(r.plan.remove).toEqual([p2.toBase64()]);
    expect((await be.getDevice('wg0')).peers).toHaveLength(2);
  });
});
