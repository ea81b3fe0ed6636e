/** The states of a tunnel service, from `sc.exe queryex` numbers (never the localized words). */
export type ServiceState = 'absent' | 'stopped' | 'starting' | 'stopping' | 'running' | 'delete-pending' | 'other';

export interface ServiceStatus {
  state: ServiceState;
  /** WIN32_EXIT_CODE (1066 means: see serviceExitCode). */
  win32ExitCode: number;
  serviceExitCode: number;
  pid: number | null;
}

const STATE_BY_NUMBER: Record<number, ServiceState> = { 1: 'stopped', 2: 'starting', 3: 'stopping', 4: 'running', 5: 'other', 6: 'other', 7: 'other' };

export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_MARKED_FOR_DELETE = 1072;
export const ERROR_ACCESS_DENIED = 5;

/**
 * Parses `sc.exe queryex <service>` positionally (labels are localized): the second
 * `label : <int>` line is STATE, and the next two `<int>  (0x..)` lines are WIN32_EXIT_CODE and
 * SERVICE_EXIT_CODE. sc.exe's own exit code says "missing" (1060) or "marked for deletion" (1072).
 * Returns null when the output cannot be read.
 */
export function parseScQuery(stdout: string, exitCode: number): ServiceStatus | null {
  if (exitCode === ERROR_SERVICE_DOES_NOT_EXIST) return { state: 'absent', win32ExitCode: 0, serviceExitCode: 0, pid: null };
  if (exitCode === ERROR_SERVICE_MARKED_FOR_DELETE || /FAILED 1072\b/.test(stdout)) {
    return { state: 'delete-pending', win32ExitCode: 0, serviceExitCode: 0, pid: null };
  }
  if (exitCode !== 0) return null;
  const lines = stdout.replace(/\r/g, '').split('\n');
  const numeric: { value: number; hex: boolean }[] = [];
  for (const line of lines) {
    // `LABEL : <decimal> ...` (TYPE, STATE, ..., PID), or `LABEL : <decimal>  (0x<hex>)` (exit codes)
    const m = /^\s*[^:]+:\s+(\d+)(?=\s|$)(?:\s+\((0x[0-9a-fA-F]+)\))?/.exec(line);
    if (m) numeric.push({ value: Number(m[1]), hex: m[2] !== undefined });
  }
  // In order: TYPE, STATE, WIN32_EXIT_CODE (hex twin), SERVICE_EXIT_CODE (hex twin), then PID
  // from queryex (CHECKPOINT and WAIT_HINT are bare hex and do not match).
  const [type, state, win32, service, pid] = numeric;
  if (!type || !state || !win32?.hex || !service?.hex || type.hex || state.hex) return null;
  return {
    state: STATE_BY_NUMBER[state.value] ?? 'other',
    win32ExitCode: win32.value,
    serviceExitCode: service.value,
    pid: pid && !pid.hex && pid.value > 0 ? pid.value : null,
  };
}

/** What the tunnel service's SERVICE_EXIT_CODE means (wireguard-windows services/errors.go). */
export const SERVICE_EXIT_REASONS: Readonly<Record<number, string>> = {
  1: 'opening the ring logger failed',
  2: 'the configuration could not be loaded (parse error)',
  3: 'the network adapter could not be created',
  4: 'an endpoint host name could not be resolved',
  5: 'the firewall could not be configured',
  6: 'the device configuration could not be set',
  7: 'the device could not be brought up',
  8: 'sockets could not be bound to the default routes',
  9: 'MTU changes could not be monitored',
  10: 'the network configuration could not be set',
  11: 'the executable path could not be determined',
  12: 'tunnels could not be tracked',
  13: 'sessions could not be enumerated',
  14: 'privileges could not be dropped',
  15: 'a Pre/Post script failed',
  16: 'a Win32 call failed',
};
