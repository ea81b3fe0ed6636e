/**
 * `@lanrage/core/backend`: for writing a {@link WireGuardBackend}. The contract and its
 * capability objects, the normalised configuration a backend receives (validated once, by
 * the manager: a backend trusts it), the builder for a Linux-style backend's capabilities, the
 * keyed queue and time slicer the bundled backends use, address helpers, and the coalescer
 * that sits beneath the manager. Applications use `@lanrage/core` (or `lanrage`) instead.
 *
 * @packageDocumentation
 * @module @lanrage/core/backend
 */
// Every name comes from ../internal.js (one bundle for all entries: see there).
export {
  assertResolved,
  type BackendCapabilities,
  type BackendKeyStore,
  type Cidr,
  type CoalescerHooks,
  type CoalescerOptions,
  cidrContains,
  emit,
  formatIPv4,
  formatIPv6,
  formatIp,
  fromSystemError,
  type InterfaceAddress,
  type IpAddress,
  IpCommandLinkControl,
  type IpFamily,
  KeyedQueue,
  type LinkBackendMethods,
  type LinkControl,
  linkBackendCapabilities,
  type NormalizedDeviceConfig,
  type NormalizedPeer,
  normalizeAllowedIP,
  normalizeDeviceConfig,
  normalizePeer,
  type ParsedAllowedIP,
  type PartialApplyDetails,
  PeerCoalescer,
  parseAllowedIP,
  parseInterfaceAddress,
  parseIPv4,
  parseIPv6,
  parseIp,
  prepareDeviceConfig,
  type RouteControl,
  type RouteDelta,
  resolveDeviceConfig,
  resolvedEndpoint,
  routesForPeers,
  type StatsReader,
  TimeSlicer,
  toDeviceConfig,
  toPeerConfig,
  validateWindowsTunnelName,
  type WireGuardBackend,
} from '../internal.js';
