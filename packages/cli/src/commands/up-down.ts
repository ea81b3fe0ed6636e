import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorsFor } from '../output/color.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';

/** `lanrage up`: NetworkManager.initialize(), and a report of what it did. */
export async function up(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'up');
  try {
    const result = await manager.initialize();
    if (opts.json) {
      ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, ...result }));
    } else {
      const c = colorsFor(ctx.io, 'stderr');
      ctx.io.stderr(`${c.green('✓')} ${result.interfaceName} is up (${result.created ? 'created' : 'already existed, adopted'})\n`);
      ctx.io.stderr(`  backend: ${result.backend} — ${result.backendReason}\n`);
      ctx.io.stderr(`  public key: ${result.publicKey}${result.keysCreated ? ' (new key pair)' : ''}\n`);
      ctx.io.stderr(`  address: ${result.address}  listen port: ${result.listenPort}  mtu: ${result.mtu}\n`);
    }
    return ExitCode.OK;
  } finally {
    await manager.close();
  }
}

/** `lanrage down`: cleanup(); succeeds when the interface is already gone. */
export async function down(ctx: CliContext, opts: GlobalOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'down');
  await manager.cleanup();
  if (opts.json) ctx.io.stdout(toJson({ schemaVersion: SCHEMA_VERSION, interfaceName: manager.interfaceName, state: 'not_created' }));
  else ctx.io.stderr(`${manager.interfaceName} is down\n`);
  return ExitCode.OK;
}
