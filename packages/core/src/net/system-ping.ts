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
export function systemPing(ip: string, timeoutMs: number): Promise<number | null> {
  const addr = parseIp(ip);
  if (!addr) return Promise.reject(new LanrageError('INVALID_ARGUMENT', 'ping needs an IP address'));
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  const args = ['-n', '-c', '1', '-W', String(seconds), formatIp(addr)];
  if (addr.family === 6) args.unshift('-6');
  return new Promise((resolve, reject) => {
    execFile('ping', args, { timeout: timeoutMs + 1000, maxBuffer: 64 * 1024, shell: false }, (err, stdout) => {
      const ms = parsePingTime(String(stdout));
      if (ms !== null && ms <= timeoutMs) return resolve(ms);
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if (code === 'ENOENT') return reject(new LanrageError('NOT_INSTALLED', 'the ping command is not installed', { remedy: 'Install iputils-ping.' }));
      resolve(null);
    });
  });
}
