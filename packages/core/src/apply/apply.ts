import type { WireGuardBackend } from '../backend.js';
import type { DeviceStatus } from '../types.js';
import type { WgQuickConfig } from '../wgquick/types.js';
import { type ApplyPlan, type DesiredDevice, isEmptyPlan, type PlanOptions, planApplySliced } from './plan.js';

export interface ApplyOptions extends Omit<PlanOptions, 'incrementalAllowedIPs'> {
  /** Compute and return the plan without sending anything. */
  dryRun?: boolean;
}

export interface ApplyResult {
  plan: ApplyPlan;
  applied: boolean;
}

/** The WireGuard part of a wg-quick file as a desired state (Address, DNS, MTU, hooks are not part of it). */
export function desiredFromWgQuick(config: WgQuickConfig): DesiredDevice {
  const i = config.interface;
  return {
    ...(i.privateKey ? { privateKey: i.privateKey } : {}),
    ...(i.listenPort !== undefined ? { listenPort: i.listenPort } : {}),
    ...(i.fwmark !== undefined ? { fwmark: i.fwmark } : {}),
    peers: config.peers.map((p) => ({
      publicKey: p.publicKey,
      ...(p.presharedKey ? { presharedKey: p.presharedKey } : {}),
      ...(p.endpoint !== undefined ? { endpoint: p.endpoint } : {}),
      ...(p.persistentKeepalive !== undefined ? { persistentKeepalive: p.persistentKeepalive } : {}),
      allowedIPs: p.allowedIPs,
    })),
  };
}

/**
 * Makes a device match `desired` by reading it (unless the caller just did: `live`) and
 * sending only the differences, in one setDevice call (one batch on every backend). Works on
 * every backend; uses incremental allowed-IP removal where the backend says it can.
 */
export async function applyDesired(
  backend: WireGuardBackend,
  name: string,
  desired: DesiredDevice,
  opts: ApplyOptions = {},
  live?: DeviceStatus,
): Promise<ApplyResult> {
  live ??= await backend.getDevice(name);
  const incremental = backend.supportsAllowedIPRemoval ? await backend.supportsAllowedIPRemoval(name).catch(() => false) : false;
  const plan = await planApplySliced(live, desired, { ...opts, incrementalAllowedIPs: incremental });
  if (opts.dryRun || isEmptyPlan(plan)) return { plan, applied: false };
  await backend.setDevice(name, plan.config);
  return { plan, applied: true };
}
