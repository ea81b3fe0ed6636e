import { win32 } from 'node:path';
import { LanrageError } from '@lanrage/core';
import { validateWindowsTunnelName } from '@lanrage/core/backend';

export interface WindowsPaths {
  wireguardExe: string;
  wgExe: string;
  scExe: string;
  whoamiExe: string;
  powershellExe: string;
  pingExe: string;
  dataDir: string;
}

/**
 * Absolute paths only (W3): WireGuard under `%ProgramW6432%` (the 64-bit Program Files, also
 * from a 32-bit Node), system tools under `%SystemRoot%\System32`, the config store under
 * `%ProgramData%\LANrage\wireguard` (never WireGuard's own Data\Configurations).
 */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env, overrides: { programFiles?: string; dataDir?: string } = {}): WindowsPaths {
  const programFiles = overrides.programFiles ?? env.ProgramW6432 ?? env.ProgramFiles ?? 'C:\\Program Files';
  const systemRoot = env.SystemRoot ?? env.windir ?? 'C:\\Windows';
  const system32 = win32.join(systemRoot, 'System32');
  return {
    wireguardExe: win32.join(programFiles, 'WireGuard', 'wireguard.exe'),
    wgExe: win32.join(programFiles, 'WireGuard', 'wg.exe'),
    scExe: win32.join(system32, 'sc.exe'),
    whoamiExe: win32.join(system32, 'whoami.exe'),
    powershellExe: win32.join(system32, 'WindowsPowerShell', 'v1.0', 'powershell.exe'),
    pingExe: win32.join(system32, 'PING.EXE'),
    dataDir: overrides.dataDir ?? win32.join(env.ProgramData ?? 'C:\\ProgramData', 'LANrage', 'wireguard'),
  };
}

/** `WireGuardTunnel$<name>`, after the strict name rule (checked before any path join, C7). */
export function serviceName(name: string): string {
  return `WireGuardTunnel$${validateWindowsTunnelName(name)}`;
}

/** `<dataDir>\<name>.conf`, re-checked to stay inside the data directory. */
export function configPath(dataDir: string, name: string): string {
  const file = win32.join(dataDir, `${validateWindowsTunnelName(name)}.conf`);
  if (win32.dirname(file) !== win32.normalize(dataDir)) throw new LanrageError('INVALID_INTERFACE_NAME', `tunnel name ${name} would leave ${dataDir}`);
  return file;
}
