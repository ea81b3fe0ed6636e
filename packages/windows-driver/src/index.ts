/** @lanrage/windows-driver: WireGuard for Windows through wireguard.exe's tunnel service and wg.exe. */
export { ACCEPTED_KEYS, baseHash, ConfigStore, type DriverFs, nodeFs, parseConfig, renderConfig, type TunnelConfig } from './config-store.js';
export { parseWindowsPing } from './parse/ping.js';
export { parseScQuery, SERVICE_EXIT_REASONS, type ServiceState, type ServiceStatus } from './parse/sc-query.js';
export { parseWgDump, parseWgInterfaces } from './parse/wg-dump.js';
export { configPath, resolvePaths, serviceName, type WindowsPaths } from './paths.js';
export { type CommandRunner, MAX_OUTPUT_BYTES, nodeRunner, type RunOptions, type RunResult } from './runner.js';
export { WindowsBackend, type WindowsBackendOptions } from './windows-backend.js';
