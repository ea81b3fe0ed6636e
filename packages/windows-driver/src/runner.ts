import { execFile } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs: number;
}

/**
 * How the driver runs wireguard.exe, wg.exe, sc.exe, whoami.exe, powershell.exe and ping.exe: an
 * absolute executable path and an argv array, never a shell. Tests pass a scripted runner.
 * A child that outlives `timeoutMs` is killed and reported with code -1 and `timedOut`.
 */
export type CommandRunner = (file: string, args: readonly string[], options: RunOptions) => Promise<RunResult & { timedOut?: boolean }>;

/** Output beyond this is cut and the child killed (W8). */
export const MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** The default runner: execFile with shell:false, piped stdio, a hidden window, a killing timeout. */
export const nodeRunner: CommandRunner = (file, args, { timeoutMs }) =>
  new Promise((resolve) => {
    if (/\.(bat|cmd)$/i.test(file)) {
      // W2: batch files would need a shell (CVE-2024-27980); the driver never runs one.
      resolve({ code: -1, stdout: '', stderr: 'refusing to run a batch file' });
      return;
    }
    execFile(
      file,
      [...args],
      {
        shell: false,
        windowsHide: true,
        windowsVerbatimArguments: false,
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: 'latin1', // OEM code pages: digits and ASCII markers survive, nothing throws
        env: { ...process.env, WG_COLOR_MODE: 'never', WG_HIDE_KEYS: 'never' },
      },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        const timedOut = e?.killed === true;
        const code = !e ? 0 : typeof e.code === 'number' ? e.code : timedOut ? -1 : e.code === 'ENOENT' ? -2 : -1;
        resolve({ code, stdout: String(stdout ?? ''), stderr: String(stderr ?? ''), ...(timedOut ? { timedOut } : {}) });
      },
    );
  });
