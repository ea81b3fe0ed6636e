import { basename, dirname, resolve } from 'node:path';
import { formatWgQuick, LanrageError, type WgQuickConfig } from '@lanrage/core';
import { writeFileExclusive } from '@lanrage/core/platform';
import type { CliContext, GlobalOptions } from '../context.js';
import { createManager } from '../context.js';
import { ExitCode } from '../exit-codes.js';

export interface ShowconfOptions extends GlobalOptions {
  /** Print the private and preshared keys (as `wg showconf` always does). */
  showSecrets?: boolean;
  /** Write to this new file (mode 0600, never over an existing file) instead of stdout. */
  output?: string;
}

/** Said at the top of a file printed without its secrets: applying it as is would drop them. */
const HIDDEN =
  '# Private and preshared keys are hidden: applying this file as it is removes the preshared keys.\n# lanrage showconf --show-secrets prints them.\n';

/**
 * `lanrage showconf`: the interface as a wg-quick file, as `wg showconf` prints it (listen
 * port, fwmark, and per peer its key, preshared key, allowed IPs, endpoint and keepalive), so
 * that `lanrage apply` of the output onto a fresh interface gives the same device. Keys only
 * with --show-secrets; with -o the file is created 0600 and never replaces an existing one.
 */
export async function showconf(ctx: CliContext, opts: ShowconfOptions): Promise<ExitCode> {
  const manager = await createManager(ctx, opts, 'showconf');
  let text: string;
  try {
    const dev = await manager.getDevice();
    const secrets = opts.showSecrets === true;
    const conf: WgQuickConfig = {
      interface: {
        ...(secrets && dev.privateKey ? { privateKey: dev.privateKey } : {}),
        listenPort: dev.listenPort,
        ...(dev.fwmark !== 0 ? { fwmark: dev.fwmark } : {}),
        addresses: [],
        dns: [],
        preUp: [],
        postUp: [],
        preDown: [],
        postDown: [],
      },
      peers: dev.peers.map((p) => ({
        publicKey: p.publicKey,
        ...(secrets && p.presharedKey ? { presharedKey: p.presharedKey } : {}),
        allowedIPs: p.allowedIPs,
        ...(p.endpoint !== null ? { endpoint: p.endpoint } : {}),
        ...(p.persistentKeepalive !== 0 ? { persistentKeepalive: p.persistentKeepalive } : {}),
      })),
    };
    const hidden = !secrets && (dev.privateKey !== null || dev.peers.some((p) => p.presharedKey !== null));
    text = `${hidden ? HIDDEN : ''}${formatWgQuick(conf)}`;
    dev.privateKey?.wipe();
    for (const p of dev.peers) p.presharedKey?.wipe();
  } finally {
    await manager.close();
  }
  if (opts.output === undefined) {
    ctx.io.stdout(text);
    return ExitCode.OK;
  }
  const path = resolve(opts.output);
  if (!(await writeFileExclusive(dirname(path), basename(path), text))) {
    throw new LanrageError('IO_ERROR', `${opts.output} already exists`, { remedy: 'Give -o a new file name; showconf never overwrites a file.' });
  }
  ctx.io.stderr(`wrote ${opts.output} (mode 0600)\n`);
  return ExitCode.OK;
}
