// A lanrage node inside a network namespace: `ip netns exec <ns> node agent.mjs`. It reads
// JSON requests ({id, method, args}) line by line on stdin and answers on stdout, calling
// NetworkManager only, so tests configure interfaces exactly as an embedder would.
import { createInterface } from 'node:readline';
import { createNetworkManager, generateKeyPair, Key } from 'lanrage';

// The embedder's entry: the lanrage package picks the backend and link control.
const manager = await createNetworkManager();

const methods = {
  initialize: () => manager.initialize(),
  addPeer: (o) => manager.addPeer(o),
  updatePeer: (o) => manager.updatePeer(o),
  removePeer: (k) => manager.removePeer(k),
  measureLatency: (ip, ms) => manager.measureLatency(ip, ms),
  status: () => manager.getInterfaceStatus(),
  apply: async (spec) => {
    const r = await manager.apply({ peers: spec.peers.map((p) => ({ ...p, publicKey: Key.parse(p.publicKey) })) }, spec.options ?? {});
    const { config: _config, ...plan } = r.plan;
    return { applied: r.applied, plan };
  },
  /** A new key pair for this node through apply, keeping every peer as it is; returns the new public key. */
  rotateKey: async () => {
    const { privateKey, publicKey } = generateKeyPair();
    const d = await manager.getDevice();
    const peers = d.peers.map((p) => ({
      publicKey: p.publicKey,
      allowedIPs: p.allowedIPs,
      ...(p.endpoint ? { endpoint: p.endpoint } : {}),
      ...(p.persistentKeepalive ? { persistentKeepalive: p.persistentKeepalive } : {}),
    }));
    await manager.apply({ privateKey, peers });
    return publicKey.toBase64();
  },
  cleanup: () => manager.cleanup(),
  device: async () => {
    const d = await manager.getDevice();
    return {
      name: d.name,
      publicKey: d.publicKey?.toBase64() ?? null,
      privateKey: d.privateKey?.toBase64() ?? null,
      listenPort: d.listenPort,
      fwmark: d.fwmark,
      peers: d.peers.map((p) => ({
        publicKey: p.publicKey.toBase64(),
        presharedKey: p.presharedKey?.toBase64() ?? null,
        endpoint: p.endpoint,
        allowedIPs: p.allowedIPs,
        lastHandshakeSec: p.lastHandshake ? Math.floor(p.lastHandshake.getTime() / 1000) : 0,
        rxBytes: p.rxBytes.toString(),
        txBytes: p.txBytes.toString(),
        persistentKeepalive: p.persistentKeepalive,
      })),
    };
  },
};

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  const { id, method, args } = JSON.parse(line);
  try {
    const result = await methods[method](...(args ?? []));
    process.stdout.write(`${JSON.stringify({ id, result: result ?? null })}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ id, error: { code: err?.code ?? 'INTERNAL', message: err?.message ?? String(err) } })}\n`);
  }
}
await manager.close();
