import type { PartialApplyDetails, WireGuardBackend } from '../backend.js';
import { isLanrageError, LanrageError } from '../errors.js';
import { checkListenPortFree } from '../net/port-free.js';
import { type NormalizedDeviceConfig, prepareDeviceConfig } from '../normalize.js';
import type { DeviceConfig, DeviceStatus } from '../types.js';
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

/** What the caller of applyDesired hooks into (the manager: its own checks, its index and routes). */
export interface ApplyHooks {
  /** The device as the caller just read it (else applyDesired reads it). */
  live?: DeviceStatus;
  /** Runs on the validated change before anything is sent, dry runs included: throw to refuse it. */
  check?: (change: NormalizedDeviceConfig) => void | Promise<void>;
  /** Runs after each part of the change has landed, with that part. */
  sent?: (part: NormalizedDeviceConfig) => Promise<void>;
}

/**
 * Makes a device match `desired` by reading it (unless the caller just did: `hooks.live`) and
 * sending only the differences. Works on every backend. The change is validated (and its host
 * names resolved) once, as a whole, before any of it is sent: a bad peer anywhere fails the
 * apply with nothing applied, and its error names its index in the change. A change of more
 * than APPLY_PART peer operations is then sent in parts (see sendInParts).
 *
 * A dry run runs every check the real run does (keys, self peer, limits, host-name
 * resolution, `hooks.check`) and sends nothing, ever: not even the probe some kernels need
 * to learn whether single allowed IPs can be removed. That probe runs only for a real change
 * that removes an allowed IP from a peer, and then the plan uses incremental removal where
 * the backend can do it (else it replaces the peer's set).
 */
export async function applyDesired(
  backend: WireGuardBackend,
  name: string,
  desired: DesiredDevice,
  opts: ApplyOptions = {},
  hooks: ApplyHooks = {},
): Promise<ApplyResult> {
  const live = hooks.live ?? (await backend.getDevice(name));
  let plan = await planApplySliced(live, desired, { ...opts, incrementalAllowedIPs: false });
  checkPeerLimit(backend, name, live.peers.length, plan);
  if (!opts.dryRun && isEmptyPlan(plan)) return { plan, applied: false };
  const removal = backend.capabilities.allowedIPRemoval;
  if (!opts.dryRun && removesAllowedIPs(plan.config) && removal && (await removal.supported(name).catch(() => false))) {
    plan = await planApplySliced(live, desired, { ...opts, incrementalAllowedIPs: true });
  }
  const change = await prepareDeviceConfig(plan.config);
  await hooks.check?.(change);
  if (opts.dryRun) {
    // A new listen port held by another socket fails the real change (PORT_IN_USE): so here.
    if (plan.config.listenPort) await checkListenPortFree(plan.config.listenPort);
    return { plan, applied: false };
  }
  await sendInParts(backend, name, change, hooks.sent);
  return { plan, applied: true };
}

/** UNSUPPORTED, before anything is sent, when the plan would leave more peers than the backend holds. */
function checkPeerLimit(backend: WireGuardBackend, name: string, livePeers: number, plan: ApplyPlan): void {
  const max = backend.maxPeers;
  if (max === undefined) return;
  const after = (plan.config.replacePeers ? 0 : livePeers - plan.remove.length) + plan.add.length;
  if (after > max) {
    throw new LanrageError('UNSUPPORTED', `${name} would have ${after} peers; its ${backend.kind} implementation holds at most ${max} per interface`, {
      remedy: `Split the peers across interfaces of at most ${max} peers each, or use the kernel backend.`,
    });
  }
}

/** Whether a plan made without incremental removal replaces some existing peer's allowed IPs (an IP is taken away). */
function removesAllowedIPs(config: DeviceConfig): boolean {
  return (config.peers ?? []).some((p) => p.updateOnly === true && p.allowedIPs !== undefined);
}

/** Peer operations per setDevice call when a change is sent in parts. */
export const APPLY_PART = 1024;

/**
 * Sends a validated change as setDevice calls of at most APPLY_PART peer operations, in
 * order: the first carries the device fields (key, port, fwmark, REPLACE_PEERS). The backend
 * encodes one part at a time, so its encoded form of a 100,000-peer change never lives (and
 * is never copied by the garbage collector) all at once. WireGuard applies a change message
 * by message either way (it never rolls back), so nothing is less atomic.
 *
 * A failure reports indexes into the whole change: PARTIAL_APPLY whose details count the
 * parts already sent as applied (an error that is not PARTIAL_APPLY from the first part is
 * thrown as it is: nothing was applied).
 */
export async function sendInParts(backend: WireGuardBackend, name: string, config: NormalizedDeviceConfig, sent?: ApplyHooks['sent']): Promise<void> {
  const peers = config.peers;
  if (peers.length <= APPLY_PART) {
    await backend.setDevice(name, config);
    await sent?.(config);
    return;
  }
  for (let from = 0; from < peers.length; from += APPLY_PART) {
    const slice = peers.slice(from, from + APPLY_PART);
    const part: NormalizedDeviceConfig = from === 0 ? { ...config, peers: slice } : { replacePeers: false, peers: slice };
    try {
      await backend.setDevice(name, part);
    } catch (err) {
      throw partFailed(name, err, from, slice.length, peers.length);
    }
    await sent?.(part);
  }
}

/** The error of the part starting at `from`, with indexes into the whole change. */
function partFailed(name: string, err: unknown, from: number, size: number, total: number): unknown {
  const partial = isLanrageError(err, 'PARTIAL_APPLY');
  if (from === 0 && !partial) return err;
  const inPart: Partial<PartialApplyDetails> = partial ? err.details : {};
  const applied = Array.from({ length: from }, (_, i) => i);
  for (const i of inPart.appliedPeers ?? []) applied.push(from + i);
  const failed = partial ? (inPart.failedPeers ?? []).map((i) => from + i) : Array.from({ length: size }, (_, i) => from + i);
  for (let i = from + size; i < total; i++) failed.push(i);
  const details: PartialApplyDetails = { appliedPeers: applied, failedPeers: failed, deviceApplied: from > 0 || inPart.deviceApplied === true };
  // The part's own PARTIAL_APPLY says "n of m" of the part: name what failed, not that count.
  const why =
    partial && (err as LanrageError).cause instanceof Error ? ((err as LanrageError).cause as Error).message : ((err as Error)?.message ?? String(err));
  return new LanrageError('PARTIAL_APPLY', `setting ${name} failed part-way (${applied.length} of ${total} peer operations applied): ${why}`, {
    cause: err,
    details,
  });
}
