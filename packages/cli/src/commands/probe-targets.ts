import { LatencyProber, type NetworkManager, type ProbeTarget, tunnelAddressOf } from '@lanrage/core';
import { seconds } from './watch-options.js';

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

/** `--probe-latency SECONDS` as milliseconds (checked), or null when it was not given. */
export function probeIntervalMs(probeLatency: string | undefined): number | null {
  return probeLatency === undefined ? null : seconds(probeLatency, 10, 0.5, 3600, '--probe-latency') * 1000;
}

/**
 * The prober `--probe-latency` asks for (not started), or null without it: every peer's tunnel
 * address each interval, a reply awaited at most 2 s (or the interval).
 */
export function latencyProberFor(manager: NetworkManager, intervalMs: number | null): LatencyProber | null {
  if (intervalMs === null) return null;
  return new LatencyProber(
    () => probeTargets(manager),
    (ip, timeoutMs) => manager.measureLatency(ip, timeoutMs),
    { intervalMs, timeoutMs: Math.min(2000, intervalMs) },
  );
}
