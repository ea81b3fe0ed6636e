import { execFile } from 'node:child_process';
import { LanrageError } from '../errors.js';
import { formatIp, parseIp } from '../validation/ip.js';

/** Parses the round-trip time from one iputils/busybox ping reply (`time=0.045 ms`, `time<1ms`). */
export function parsePingTime(output: string): number | null {
  const m = /\btime([=<])\s*([0-9]+(?:\.[0-9]+)?)\s*ms\b/.exec(output);
  if (!m) return null;
  return Number(m[2]);
}

/**
 * One echo through the system `ping` (the fallback when no backend can probe natively).
 * The IP is validated as a literal first, and the command runs without a shell. Resolves
 * null when no reply came within `timeoutMs`.
 */
/** What starting `ping` may take on a loaded machine, beyond the timeout itself. */
const PING_START_MS = 100;

export function systemPing(ip: string, timeoutMs: number): Promise<number | null> {
  const addr = parseIp(ip);
  if (!addr) return Promise.reject(new LanrageError('INVALID_ARGUMENT', 'ping needs an IP address'));
  // ping's own -W counts whole seconds in some implementations (busybox): the wait is ended
  // here instead, at the timeout asked for (plus the time to start ping), so `--timeout 200`
  // waits ~0.2 s, not 1.2 s.
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-n', '-c', '1', '-W', String(seconds), formatIp(addr)];
  if (addr.family === 6) args.unshift('-6');
  return new Promise((resolve, reject) => {
    execFile('ping', args, { timeout: timeoutMs + PING_START_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024, shell: false }, (err, stdout) => {
      const ms = parsePingTime(String(stdout));
      if (ms !== null && ms <= timeoutMs) return resolve(ms);
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') return reject(new LanrageError('NOT_INSTALLED', 'the ping command is not installed', { remedy: 'Install iputils-ping.' }));
      resolve(null);
    });
  });
}
