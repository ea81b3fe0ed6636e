import { execFile } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LanrageError } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { loadCliConfig } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';

export const UNIT_NAME = 'lanrage@.service';
const DEFAULT_UNIT_DIR = '/etc/systemd/system';

export interface ServiceOptions extends GlobalOptions {
  unitDir?: string;
  enable?: boolean;
  now?: boolean;
}

/** A word for a systemd command line: `%` doubled, quoted when it has a space or a quote. */
function unitWord(word: string): string {
  const escaped = word.replaceAll('%', '%%');
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"` : escaped;
}

/** This package's bin (dist/bin.js) from wherever this code was bundled to (dist, or a chunk in dist/chunks). */
function binPath(): string {
  for (const rel of ['./bin.js', '../bin.js']) {
    const path = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(path)) return realpathSync(path);
  }
  throw new LanrageError('INTERNAL', `cannot find lanrage's bin.js next to ${fileURLToPath(import.meta.url)}`);
}

/**
 * The template unit: `lanrage -i <instance> up` at boot (which restores the peers saved in the
 * config dir's state file) and `down` on stop (which keeps them). Paths are this install's:
 * the Node.js running now and this package's bin, resolved through symlinks.
 */
export function unitText(configDir: string, version: string): string {
  const node = unitWord(process.execPath);
  const bin = unitWord(binPath());
  const lanrage = `${node} ${bin} -i %i`;
  return `# Written by \`lanrage service install\` (lanrage ${version}).
# Brings up the WireGuard interface %i at boot with the peers lanrage saved for it
# (${configDir}/state/%i.json); stopping it takes the interface down and keeps them.
[Unit]
Description=LANrage WireGuard interface %i
Wants=network-online.target
After=network-online.target nss-lookup.target

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=${unitWord(`LANRAGE_CONFIG_DIR=${configDir}`)}
Environment=NO_COLOR=1
ExecStart=${lanrage} up
ExecReload=${lanrage} up
ExecStop=${lanrage} down
TimeoutStartSec=120

[Install]
WantedBy=multi-user.target
`;
}

function systemctl(args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile('systemctl', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() || (err?.message ?? '') });
    });
  });
}

/** `lanrage service show`: the unit as install would write it. */
export async function serviceShow(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  const config = await loadCliConfig(ctx, opts);
  ctx.io.stdout(unitText(config.configDir, ctx.version));
  return ExitCode.OK;
}

/**
 * `lanrage service install`: writes the template unit (atomically, 0644) into the unit
 * directory, reloads systemd and enables `lanrage@<interface>` (`--now`: starts it too;
 * `--no-enable`: only writes the file, e.g. for a package or an image).
 */
export async function serviceInstall(ctx: CliContext, opts: ServiceOptions): Promise<ExitCode> {
  const config = await loadCliConfig(ctx, opts);
  const dir = opts.unitDir ?? DEFAULT_UNIT_DIR;
  const path = join(dir, UNIT_NAME);
  const instance = `lanrage@${config.interfaceName}.service`;
  const text = unitText(config.configDir, ctx.version);
  try {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new LanrageError(code === 'EACCES' || code === 'EPERM' ? 'PERMISSION_DENIED' : 'IO_ERROR', `cannot write ${path} (${code ?? 'error'})`, {
      remedy:
        code === 'EACCES' || code === 'EPERM' ? 'Run it as root: sudo lanrage service install' : 'Check that the unit directory (--unit-dir) is writable.',
    });
  }
  const steps: string[] = [`wrote ${path}`];
  if (opts.enable !== false) {
    const reload = await systemctl(['daemon-reload']);
    const enable = reload.ok ? await systemctl(['enable', ...(opts.now ? ['--now'] : []), instance]) : reload;
    if (!enable.ok) {
      throw new LanrageError('SERVICE_FAILED', `wrote ${path}, but systemctl could not enable ${instance}: ${enable.output.split('\n')[0]}`, {
        remedy: `Where systemd runs, enable it with: systemctl daemon-reload && systemctl enable ${opts.now ? '--now ' : ''}${instance}`,
      });
    }
    steps.push(`enabled ${instance}${opts.now ? ' and started it' : ' (it starts at boot; --now starts it now)'}`);
  }
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, unitFile: path, instance, enabled: opts.enable !== false, started: opts.now === true }));
  else ctx.io.stderr(`${steps.join('\n')}\n`);
  return ExitCode.OK;
}
