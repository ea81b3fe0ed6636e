import { stat } from 'node:fs/promises';
import { type ApplyPlan, desiredFromWgQuick, type FieldChange, Key, LanrageError, parseWgQuick } from '@lanrage/core';
import { MAX_CONFIG_BYTES, readRegularFile } from '@lanrage/core/platform';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorsFor } from '../output/color.js';
import { SCHEMA_VERSION, toJson } from '../output/format.js';
import { withProgress } from '../output/progress.js';

export interface ApplyCommandOptions extends GlobalOptions {
  dryRun?: boolean;
  replacePeers?: boolean;
}

async function readConfigFile(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, { maxBytes: MAX_CONFIG_BYTES, code: 'INVALID_CONFIG', what: 'wg-quick file' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new LanrageError('INVALID_CONFIG', `cannot read ${path} (ENOENT)`);
    throw err;
  }
}

function renderPlan(plan: ApplyPlan, name: string, ctx: CliContext): string {
  const c = colorsFor(ctx.io, 'stdout');
  const lines = [`plan for ${name}: ${plan.add.length} to add, ${plan.update.length} to update, ${plan.remove.length} to remove, ${plan.unchanged} unchanged`];
  for (const d of plan.device) lines.push(`  ${c.yellow('~')} interface: ${d}`);
  for (const p of plan.add) lines.push(`  ${c.green('+')} ${p.publicKey}  ${p.changes.join('; ')}`);
  for (const p of plan.update) lines.push(`  ${c.yellow('~')} ${p.publicKey}  ${p.changes.join('; ')}`);
  for (const k of plan.remove) lines.push(`  ${c.red('-')} ${k}`);
  return `${lines.join('\n')}\n`;
}

/** `lanrage apply <file>`: make the interface match a wg-quick file by sending only the differences. */
export async function apply(ctx: CliContext, file: string, opts: ApplyCommandOptions): Promise<ExitCode> {
  const bytes = await readConfigFile(file);
  const parsed = parseWgQuick(bytes);
  bytes.fill(0);
  const warnings = [...(parsed.warnings ?? [])];
  const secret = parsed.interface.privateKey ? 'a private key' : parsed.peers.some((p) => p.presharedKey) ? 'a preshared key' : null;
  if (secret && process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0) {
    warnings.unshift(`${file} holds ${secret} and is accessible to other users (chmod 600 it)`);
  }
  if (!opts.json) for (const w of warnings) ctx.io.stderr(`lanrage: warning: ${w}\n`);
  const ignored = [
    parsed.interface.addresses.length ? 'Address' : '',
    parsed.interface.dns.length ? 'DNS' : '',
    parsed.interface.mtu !== undefined ? 'MTU' : '',
    parsed.interface.table !== undefined ? 'Table' : '',
    parsed.interface.preUp.length + parsed.interface.postUp.length + parsed.interface.preDown.length + parsed.interface.postDown.length ? 'Pre/Post hooks' : '',
  ].filter(Boolean);
  const manager = await createManager(ctx, opts, 'apply');
  const started = Date.now();
  try {
    if (!opts.json && parsed.peers.length >= 1000) ctx.io.stderr(`reading ${manager.interfaceName} and diffing ${parsed.peers.length} peers…\n`);
    const result = await withProgress(
      ctx.io,
      `${opts.dryRun ? 'planning' : 'applying'} ${file} to ${manager.interfaceName}`,
      manager.apply(desiredFromWgQuick(parsed), { dryRun: opts.dryRun === true, replacePeers: opts.replacePeers === true }),
    );
    const { config, ...rest } = result.plan;
    // --json: every change as data. An added peer's fields are its values in the change sent.
    const added = new Map((config.peers ?? []).filter((p) => !p.updateOnly && !p.remove).map((p) => [Key.from(p.publicKey, 'public').toBase64(), p]));
    const plan = {
      ...rest,
      add: rest.add.map((a) => {
        const p = added.get(a.publicKey);
        const fields: FieldChange[] = [{ field: 'allowedIPs', from: null, to: p?.allowedIPs ?? [] }];
        if (p?.endpoint !== undefined) fields.push({ field: 'endpoint', from: null, to: p.endpoint });
        if (p?.persistentKeepalive) fields.push({ field: 'persistentKeepalive', from: null, to: p.persistentKeepalive });
        if (p?.presharedKey) fields.push({ field: 'presharedKey', from: null, to: '(set)' });
        return { ...a, fields };
      }),
    };
    if (opts.json) {
      ctx.io.stdout(
        toJson({
          schemaVersion: SCHEMA_VERSION,
          interface: manager.interfaceName,
          dryRun: opts.dryRun === true,
          applied: result.applied,
          plan,
          ignored,
          warnings,
        }),
      );
    } else {
      ctx.io.stdout(renderPlan(result.plan, manager.interfaceName, ctx));
      if (ignored.length) ctx.io.stderr(`not applied (interface settings belong to \`lanrage up\`): ${ignored.join(', ')}\n`);
      ctx.io.stderr(opts.dryRun ? 'dry run: nothing was changed\n' : result.applied ? `applied in ${Date.now() - started} ms\n` : 'already up to date\n');
    }
    return ExitCode.OK;
  } finally {
    await manager.close();
  }
}
