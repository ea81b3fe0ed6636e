import { forgetState, type InterfaceSettings, LanrageError } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager, loadCliConfig, statePathOf } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorsFor } from '../output/color.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';
import { withProgress } from '../output/progress.js';
import { forgetPeerNames } from '../peer-names.js';

export interface UpOptions extends GlobalOptions {
  fresh?: boolean;
  listenPort?: string;
  mtu?: string;
  address?: string;
}

/** A whole number typed for `flag` (the library checks its range and says which). */
function wholeNumber(value: string, flag: string): number {
  if (!/^[0-9]{1,6}$/.test(value)) throw new LanrageError('INVALID_ARGUMENT', `${flag} takes a whole number, not "${value.slice(0, 40)}"`);
  return Number(value);
}

function settingsFrom(opts: UpOptions): InterfaceSettings {
  const s: InterfaceSettings = {};
  if (opts.listenPort !== undefined) s.listenPort = wholeNumber(opts.listenPort, '--listen-port');
  if (opts.mtu !== undefined) s.mtu = wholeNumber(opts.mtu, '--mtu');
  if (opts.address !== undefined) s.address = opts.address;
  return s;
}

/**
 * `lanrage up`: NetworkManager.initialize() with the interface's state file, and a report of
 * what it did: created or adopted, the peers restored from the state, the settings in force.
 */
export async function up(ctx: CliContext, opts: UpOptions): Promise<ExitCode> {
  const settings = settingsFrom(opts);
  const manager = await createManager(ctx, opts, 'up');
  try {
    const result = await withProgress(ctx.io, `bringing up ${manager.interfaceName}`, manager.initialize({ settings, fresh: opts.fresh === true }));
    if (opts.json) {
      ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ...result }));
    } else {
      const c = colorsFor(ctx.io, 'stderr');
      ctx.io.stderr(`${c.green('✓')} ${result.interfaceName} is up (${result.created ? 'created' : 'already existed, adopted'})\n`);
      ctx.io.stderr(`  backend: ${result.backend} — ${result.backendReason}\n`);
      ctx.io.stderr(`  public key: ${result.publicKey}${result.keysCreated ? ' (new key pair)' : ''}\n`);
      ctx.io.stderr(`  address: ${result.address}  listen port: ${result.listenPort}  mtu: ${result.mtu}\n`);
      const kept = Object.keys(result.settings).filter((k) => !(k in settings));
      if (kept.length > 0) ctx.io.stderr(`  ${kept.join(', ')} as given to an earlier up (lanrage up --fresh forgets them)\n`);
      if (result.repaired.length > 0) ctx.io.stderr(`  repaired: ${result.repaired.join(', ')}\n`);
      if (result.restored) {
        const n = result.restored.peers;
        ctx.io.stderr(`  restored ${n} peer${n === 1 ? '' : 's'} from ${result.restored.from}\n`);
      } else if (opts.fresh) ctx.io.stderr('  started fresh: saved peers and settings forgotten\n');
    }
    return ExitCode.OK;
  } finally {
    await manager.close();
  }
}

/** `lanrage down`: cleanup(); succeeds when the interface is already gone. Its state file stays (up restores it). */
export async function down(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'down');
  await withProgress(ctx.io, `taking down ${manager.interfaceName}`, manager.cleanup());
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, interfaceName: manager.interfaceName, state: 'not_created' }));
  else ctx.io.stderr(`${manager.interfaceName} is down (its peers are kept for the next lanrage up; lanrage forget drops them)\n`);
  return ExitCode.OK;
}

/**
 * `lanrage forget`: deletes the interface's state file and peer names (its keys stay: they
 * are its identity). The interface itself is not touched; a change made through lanrage while
 * it is up writes a new state file.
 */
export async function forget(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  const config = await loadCliConfig(ctx, opts);
  const path = statePathOf(config);
  const hadState = await forgetState(path);
  const names = await forgetPeerNames(config.configDir, config.interfaceName);
  if (opts.json) {
    ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, interfaceName: config.interfaceName, stateFile: path, stateDeleted: hadState, namesDeleted: names }));
  } else if (hadState || names > 0) {
    ctx.io.stderr(
      `forgot ${config.interfaceName}: ${hadState ? `deleted ${path}` : 'no state file'}${names > 0 ? `, ${names} peer name${names === 1 ? '' : 's'}` : ''} (keys kept)\n`,
    );
  } else {
    ctx.io.stderr(`nothing saved for ${config.interfaceName} (${path} does not exist)\n`);
  }
  return ExitCode.OK;
}
