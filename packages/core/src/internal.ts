// Every module of @lanrage/core that any entry exposes, in one place. The build bundles this
// file into dist/internal.js, and each entry of the package (`@lanrage/core`, `/backend`,
// `/platform`, `/testing`) re-exports its own selection from it: one copy of each module in a
// process, so classes such as Key and LanrageError keep one identity whichever entry a caller
// imported them through. Not an entry itself: package.json does not export it.
export { type ApplyOptions, type ApplyResult, applyDesired, desiredFromWgQuick } from './apply/apply.js';
export {
  type ApplyPlan,
  type DesiredDevice,
  type DesiredPeer,
  type FieldChange,
  isEmptyPlan,
  type PeerChange,
  type PlanOptions,
  planApply,
  planApplySliced,
} from './apply/plan.js';
export type { BackendCapabilities, BackendKeyStore, BackendSelection, PartialApplyDetails, RouteControl, StatsReader, WireGuardBackend } from './backend.js';
export { type LinkBackendMethods, linkBackendCapabilities } from './capabilities.js';
export { type CoalescerHooks, type CoalescerOptions, PeerCoalescer } from './churn/coalescer.js';
export {
  LatencyProber,
  type LatencyProberEvents,
  type LatencyProberOptions,
  type ProbeTarget,
  tunnelAddressOf,
} from './churn/latency-prober.js';
export { iteratePeers, type PeerStats, PeerWatcher, type PeerWatcherEvents, type PeerWatcherOptions, readPeerStats, statsOf } from './churn/watcher.js';
export {
  type BackendChoice,
  CONFIG_ENVIRONMENT,
  defaultConfigDir,
  type LanrageConfig,
  type LanrageMode,
  type LoadConfigOptions,
  loadConfig,
} from './config/config.js';
export type { ErrorDetails, ErrorDetailsByCode } from './errors.js';
export { ERROR_REMEDIES, fromSystemError, isLanrageError, LanrageError, type LanrageErrorCode, type LanrageErrorOptions } from './errors.js';
export { KeyedQueue } from './event-loop/keyed-queue.js';
export { TimeSlicer } from './event-loop/time-slicer.js';
export { isValidKey, Key, type KeyKind, parseKey } from './keys/key.js';
export { type EnsureKeysResult, ensureKeys, loadKeyFile, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, parseKeyFile, writeFileExclusive } from './keys/key-files.js';
export { clamp, generateKeyPair, generatePresharedKey, generatePrivateKey, type KeyPair, publicKeyFrom } from './keys/x25519.js';
export { emit, formatLogRecord, type Logger, type LogLevel, type LogRecord, MemoryLogger, noopLogger } from './logger.js';
export { interfaceAddress } from './manager/address.js';
export {
  type InterfaceStatus,
  ONLINE_WITHIN_MS,
  type PeerSummary,
  readInterfaceStatus,
  type StatusReason,
  summarizePeer,
} from './manager/interface-status.js';
export {
  type AddPeerOptions,
  type InitializeOptions,
  type InitializeResult,
  NetworkManager,
  type NetworkManagerOptions,
  type ReconcileResult,
  type UpdatePeerOptions,
} from './manager/network-manager.js';
export { isEmptyDelta, PeerIndex, type PeerIndexOptions, type RouteDelta } from './manager/peer-index.js';
export { forgetState, type InterfaceSettings, readState, type SavedPeer, type SavedState, STATE_VERSION } from './manager/peer-state.js';
export { routesForPeers } from './manager/routes.js';
export { type ResolveOptions, resolveEndpoint } from './net/resolve.js';
export { parsePingTime, systemPing } from './net/system-ping.js';
export {
  assertResolved,
  type NormalizedDeviceConfig,
  type NormalizedPeer,
  normalizeDeviceConfig,
  normalizePeer,
  prepareDeviceConfig,
  resolveDeviceConfig,
  resolvedEndpoint,
  toDeviceConfig,
  toPeerConfig,
} from './normalize.js';
export { childPath } from './platform/child-path.js';
export { acquireInterfaceLock, type InterfaceLockOptions, type ReleaseLock } from './platform/interface-lock.js';
export { hasNetAdmin } from './platform/privileges.js';
export { processAlive } from './platform/process.js';
export { jsonErrorPosition, type ReadFileOptions, readRegularFile } from './platform/read-file.js';
export { replaceFileAtomically } from './platform/write-file.js';
export type { Availability, DeviceConfig, DeviceStatus, KeyInput, LinkState, PeerConfig, PeerStatus } from './types.js';
export { IpCommandLinkControl } from './userspace/ip-command-link-control.js';
export type { LinkControl } from './userspace/link-control.js';
export { UapiConnection } from './userspace/uapi-connection.js';
export { encodeSet, errnoToError, UapiGetParser, UapiSetParser } from './userspace/uapi-protocol.js';
export { UserspaceBackend, type UserspaceBackendOptions } from './userspace/userspace-backend.js';
export { findExecutable, probeSocket } from './userspace/userspace-process.js';
export {
  type Cidr,
  cidrContains,
  type InterfaceAddress,
  normalizeAllowedIP,
  normalizeAllowedIPs,
  type ParsedAllowedIP,
  parseAllowedIP,
  parseInterfaceAddress,
} from './validation/cidr.js';
export { type Endpoint, formatEndpoint, parseEndpoint } from './validation/endpoint.js';
export { isValidInterfaceName, validateInterfaceName, validateWindowsTunnelName } from './validation/interface-name.js';
export { formatIPv4, formatIPv6, formatIp, type IpAddress, type IpFamily, parseIPv4, parseIPv6, parseIp } from './validation/ip.js';
export { validateFwmark, validateKeepalive, validateListenPort, validateMtu, validatePort, validateTimeout } from './validation/numbers.js';
export { formatWgQuick, wgQuickToDeviceConfig } from './wgquick/format.js';
export { decodeConfigBytes, MAX_CONFIG_BYTES, parseWgQuick } from './wgquick/parse.js';
export type { WgQuickConfig, WgQuickInterface, WgQuickPeer } from './wgquick/types.js';
