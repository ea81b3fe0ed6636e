export { type ApplyOptions, type ApplyResult, applyDesired, desiredFromWgQuick } from './apply/apply.js';
export { type ApplyPlan, type DesiredDevice, type DesiredPeer, type PeerChange, type PlanOptions, isEmptyPlan, planApply } from './apply/plan.js';
export type { PartialApplyDetails, WireGuardBackend } from './backend.js';
export { CONFIG_ENVIRONMENT, type BackendChoice, type LanrageConfig, type LanrageMode, type LoadConfigOptions, defaultConfigDir, loadConfig } from './config/config.js';
export { ERROR_REMEDIES, LanrageError, type LanrageErrorCode, type LanrageErrorOptions, fromSystemError, isLanrageError } from './errors.js';
export { Key, type KeyKind, isValidKey, parseKey } from './keys/key.js';
export { type EnsureKeysResult, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, ensureKeys, loadKeyFile, parseKeyFile, writeFileExclusive } from './keys/key-files.js';
export { type KeyPair, clamp, generateKeyPair, generatePresharedKey, generatePrivateKey, publicKeyFrom } from './keys/x25519.js';
export { type LogLevel, type LogRecord, type Logger, MemoryLogger, formatLogRecord, noopLogger } from './logger.js';
export { interfaceAddress } from './manager/address.js';
export {
  type AddPeerOptions,
  type InitializeResult,
  type InterfaceStatus,
  NetworkManager,
  type NetworkManagerOptions,
  type PeerSummary,
  type UpdatePeerOptions,
  summarizePeer,
} from './manager/network-manager.js';
export { routesForPeers } from './manager/routes.js';
export { type BackendLoaders, type BackendSelection, type SelectBackendOptions, selectBackend } from './manager/select-backend.js';
export { type ResolveOptions, resolveEndpoint } from './net/resolve.js';
export { parsePingTime, systemPing } from './net/system-ping.js';
export { type NormalizedDeviceConfig, type NormalizedPeer, normalizeDeviceConfig, normalizePeer, prepareDeviceConfig, resolveDeviceConfig } from './normalize.js';
export { hasNetAdmin } from './platform/privileges.js';
export type { Availability, DeviceConfig, DeviceStatus, KeyInput, PeerConfig, PeerStatus } from './types.js';
export { IpCommandLinkControl } from './userspace/ip-command-link-control.js';
export type { LinkControl } from './userspace/link-control.js';
export { UapiConnection } from './userspace/uapi-connection.js';
export { UapiGetParser, UapiSetParser, encodeSet, errnoToError } from './userspace/uapi-protocol.js';
export { UserspaceBackend, type UserspaceBackendOptions } from './userspace/userspace-backend.js';
export { findExecutable, probeSocket } from './userspace/userspace-process.js';
export { type Cidr, type InterfaceAddress, type ParsedAllowedIP, cidrContains, normalizeAllowedIP, normalizeAllowedIPs, parseAllowedIP, parseInterfaceAddress } from './validation/cidr.js';
export { type Endpoint, formatEndpoint, parseEndpoint } from './validation/endpoint.js';
export { isValidInterfaceName, validateInterfaceName } from './validation/interface-name.js';
export { type IpAddress, type IpFamily, formatIPv4, formatIPv6, formatIp, parseIPv4, parseIPv6, parseIp } from './validation/ip.js';
export { validateFwmark, validateKeepalive, validateListenPort, validateMtu, validatePort } from './validation/numbers.js';
export { formatWgQuick, wgQuickToDeviceConfig } from './wgquick/format.js';
export { MAX_CONFIG_BYTES, decodeConfigBytes, parseWgQuick } from './wgquick/parse.js';
export type { WgQuickConfig, WgQuickInterface, WgQuickPeer } from './wgquick/types.js';
