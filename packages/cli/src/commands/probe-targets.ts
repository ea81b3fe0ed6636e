import { type NetworkManager, type ProbeTarget, tunnelAddressOf } from '@lanrage/core';

/** Each peer's tunnel address (its first host allowed IP), read from the device; keys wiped. */
export async function probeTargets(manager: NetworkManager): Promise<ProbeTarget[]> {
  const dev = await manager.getDevice();
  dev.privateKey?.wipe();
  const out: ProbeTarget[] = [];
  for (const p of dev.peers) {
    p.presharedKey?.wipe();
    const address = tunnelAddressOf(p.allowedIPs);
    if (address !== null) out.push({ publicKey: p.publicKey.toBase64(), address });
  }
  return out;
}
