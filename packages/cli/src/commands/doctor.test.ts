// doctor on Windows, driven from Linux: the real WindowsBackend with a fake file system and
// command runner (whoami.exe's output in the format it prints, as the driver's own tests use).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandRunner, type DriverFs, WindowsBackend } from '@lanrage/windows-driver';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { runCli } from '../program.js';

const PF = 'C:\\Program Files';
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-doctor-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function windows(installed: boolean, elevated: boolean): WindowsBackend {
  const fs: DriverFs = {
    mkdir: async () => {},
    writeFile: async () => {},
    rename: async () => {},
    readFile: async () => null,
    readdir: async () => [],
    rm: async () => {},
    exists: async (p) => installed && (p.endsWith('\\wireguard.exe') || p.endsWith('\\wg.exe')),
  };
  const runner: CommandRunner = async (file) => {
    if (file.endsWith('whoami.exe')) {
      const level = elevated
        ? '"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""'
        : '"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""';
      return { code: 0, stdout: `"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"\r\n${level}\r\n`, stderr: '' };
    }
    throw new Error(`doctor must change nothing: it ran ${file}`);
  };
  return new WindowsBackend({ fs, runner, platform: 'win32', env: { ProgramW6432: PF, ProgramData: 'C:\\ProgramData', SystemRoot: 'C:\\Windows' } });
}

async function doctor(backend: WindowsBackend) {
  let stdout = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: () => {},
    readStdin: async () => Buffer.alloc(0),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: { LANRAGE_CONFIG_DIR: dir },
  };
  const ctx: CliContext = { io, backend, platform: 'win32', version: '9.9.9' };
  const code = await runCli(['doctor', '--json'], ctx);
  return { code, checks: JSON.parse(stdout).checks as { name: string; status: string; detail: string; remedy?: string }[] };
}

describe('lanrage doctor on Windows', () => {
  it('looks for WireGuard for Windows and an elevated prompt, and checks no POSIX mode bits', async () => {
    const missing = await doctor(windows(false, true));
    expect(missing.code).toBe(ExitCode.FAILED);
    const wg = missing.checks.find((c) => c.name === 'WireGuard for Windows');
    expect(wg).toMatchObject({ status: 'fail', detail: expect.stringContaining(`${PF}\\WireGuard\\wireguard.exe is missing`) });
    expect(wg?.remedy).toContain('Install WireGuard for Windows');
    expect(missing.checks.map((c) => c.name)).not.toContain('key files'); // POSIX modes mean nothing there

    const notElevated = await doctor(windows(true, false));
    expect(notElevated.checks.find((c) => c.name === 'WireGuard for Windows')).toMatchObject({
      status: 'fail',
      remedy: 'Run from an elevated prompt (Run as administrator).',
    });

    const good = await doctor(windows(true, true));
    expect(good.checks.find((c) => c.name === 'WireGuard for Windows')).toMatchObject({ status: 'ok' });
    expect(good.checks.find((c) => c.name === 'key store')).toMatchObject({ status: 'ok', detail: expect.stringContaining('SYSTEM and Administrators') });
    expect(good.checks.find((c) => c.name === 'privileges')?.detail).toBe('checked by the backend on this platform');
  });
});
