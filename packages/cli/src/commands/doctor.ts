import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type LanrageConfig, PRIVATE_KEY_FILE, type WireGuardBackend } from '@lanrage/core';
import { findExecutable, hasNetAdmin } from '@lanrage/core/platform';
import type { CliContext, GlobalOptions } from '../context.js';
import { checkGlobalFlags, loadCliConfig } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { selectBackend } from '../library/select-backend.js';
import { colorsFor } from '../output/color.js';
import { asLanrageError } from '../output/errors.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  remedy?: string;
}

function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.once('error', () => {
      sock.close();
      resolve(false);
    });
    sock.bind(port, () => {
      sock.close();
      resolve(true);
    });
  });
}

async function keyChecks(config: LanrageConfig): Promise<Check> {
  const path = join(config.keysDir, PRIVATE_KEY_FILE);
  try {
    const dir = await stat(config.keysDir);
    if ((dir.mode & 0o007) !== 0) {
      return { name: 'key files', status: 'fail', detail: `${config.keysDir} is accessible to other users`, remedy: `chmod 700 ${config.keysDir}` };
    }
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0)
      return { name: 'key files', status: 'fail', detail: `${path} has mode ${(st.mode & 0o777).toString(8)}`, remedy: `chmod 600 ${path}` };
    return { name: 'key files', status: 'ok', detail: `${path} (mode 600)` };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { name: 'key files', status: 'ok', detail: `none yet: lanrage up will create ${path}` };
    return {
      name: 'key files',
      status: 'fail',
      detail: `cannot inspect ${path}: ${(err as NodeJS.ErrnoException).code}`,
      remedy: 'Run as the user that owns the keys (usually root).',
    };
  }
}

/**
 * Windows: WireGuard for Windows (wireguard.exe, wg.exe) and an elevated prompt, as the
 * backend checks them before it does anything; the key lives in the backend's locked store,
 * not in a file with POSIX mode bits (which Windows never reports).
 */
async function windowsChecks(ctx: CliContext, config: LanrageConfig): Promise<Check[]> {
  let backend: WireGuardBackend;
  try {
    backend = ctx.backend ?? (await selectBackend(config, { platform: 'win32' })).backend;
  } catch (err) {
    const e = asLanrageError(err);
    return [{ name: 'WireGuard for Windows', status: 'fail', detail: e.message, remedy: e.remedy }];
  }
  try {
    const a = await backend.isAvailable();
    const checks: Check[] = [
      a.available
        ? { name: 'WireGuard for Windows', status: 'ok', detail: a.reason }
        : {
            name: 'WireGuard for Windows',
            status: 'fail',
            detail: a.reason,
            remedy: /elevated/.test(a.reason)
              ? 'Run from an elevated prompt (Run as administrator).'
              : 'Install WireGuard for Windows (https://www.wireguard.com/install/) in its default folder under Program Files.',
          },
    ];
    checks.push(
      backend.capabilities.keyStore
        ? {
            name: 'key store',
            status: 'ok',
            detail: "private keys are kept in the tunnel service's store, created for SYSTEM and Administrators only and checked before each use",
          }
        : await keyChecks(config),
    );
    return checks;
  } finally {
    if (!ctx.backend) await backend.close();
  }
}

/** Every preflight check, each with its remedy; nothing is changed. */
export async function runChecks(ctx: CliContext, opts: GlobalOptions): Promise<Check[]> {
  const checks: Check[] = [];
  const platform = ctx.platform ?? process.platform;
  checks.push({
    name: 'platform',
    status: ['linux', 'win32', 'darwin', 'freebsd', 'openbsd'].includes(platform) ? 'ok' : 'fail',
    detail: `${platform} ${process.arch}, node ${process.versions.node}`,
  });

  let config: LanrageConfig | undefined;
  try {
    config = await loadCliConfig(ctx, opts);
    checks.push({ name: 'config', status: 'ok', detail: config.source ? `${config.source} is valid` : 'no config file; defaults and environment are valid' });
  } catch (err) {
    const e = asLanrageError(err);
    checks.push({ name: 'config', status: 'fail', detail: e.message, remedy: e.remedy });
  }

  // On Windows, elevation is what the backend checks (below); POSIX privileges mean nothing there.
  const admin = platform === 'win32' ? null : await hasNetAdmin();
  checks.push(
    admin === false
      ? {
          name: 'privileges',
          status: 'fail',
          detail: 'neither root nor CAP_NET_ADMIN',
          remedy: 'Run with sudo, or grant CAP_NET_ADMIN (setcap / AmbientCapabilities).',
        }
      : { name: 'privileges', status: 'ok', detail: admin ? 'root or CAP_NET_ADMIN' : 'checked by the backend on this platform' },
  );

  if (platform === 'linux') {
    const module = existsSync('/sys/module/wireguard');
    const tun = existsSync('/dev/net/tun');
    const userspace = await findExecutable(config?.userspaceImplementation ?? 'wireguard-go');
    checks.push(
      module
        ? { name: 'kernel WireGuard', status: 'ok', detail: 'the wireguard module is loaded' }
        : {
            name: 'kernel WireGuard',
            status: userspace ? 'warn' : 'fail',
            detail: 'the wireguard module is not loaded',
            remedy: 'modprobe wireguard (or use the userspace backend)',
          },
    );
    checks.push(
      userspace
        ? { name: 'userspace WireGuard', status: 'ok', detail: userspace }
        : {
            name: 'userspace WireGuard',
            status: module ? 'warn' : 'fail',
            detail: `${config?.userspaceImplementation ?? 'wireguard-go'} not found`,
            remedy: 'apt install wireguard-go, or set LANRAGE_WG_USERSPACE',
          },
    );
    checks.push(
      tun
        ? { name: '/dev/net/tun', status: 'ok', detail: 'present' }
        : { name: '/dev/net/tun', status: module ? 'warn' : 'fail', detail: 'missing', remedy: 'modprobe tun; in a container, pass --device /dev/net/tun' },
    );
  }

  if (config && platform === 'win32') checks.push(...(await windowsChecks(ctx, config)));
  else if (config) checks.push(await keyChecks(config));
  if (config) {
    if (config.listenPort !== 0) {
      const free = await udpPortFree(config.listenPort);
      const ours = free ? false : existsSync(`/var/run/wireguard/${config.interfaceName}.sock`) || existsSync(`/sys/class/net/${config.interfaceName}`);
      checks.push(
        free || ours
          ? {
              name: 'listen port',
              status: 'ok',
              detail: free ? `UDP ${config.listenPort} is free` : `UDP ${config.listenPort} is used by ${config.interfaceName}`,
            }
          : {
              name: 'listen port',
              status: 'fail',
              detail: `UDP ${config.listenPort} is in use by another program`,
              remedy: 'Set listenPort to a free port (LANRAGE_LISTEN_PORT).',
            },
      );
    }
  }
  return checks;
}

/** `lanrage doctor`: exits 1 if any check fails. */
export async function doctor(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  checkGlobalFlags(opts); // a mistyped -i is a usage error, not a failed configuration check
  const checks = await runChecks(ctx, opts);
  const ok = checks.every((c) => c.status !== 'fail');
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ok, checks }));
  else {
    const c = colorsFor(ctx.io, 'stdout');
    const mark = { ok: c.green('ok  '), warn: c.yellow('warn'), fail: c.red('FAIL') };
    for (const ch of checks) {
      ctx.io.stdout(`${mark[ch.status]}  ${ch.name}: ${ch.detail}\n`);
      if (ch.remedy && ch.status !== 'ok') ctx.io.stdout(`      → ${ch.remedy}\n`);
    }
  }
  return ok ? ExitCode.OK : ExitCode.FAILED;
}
