import { generatePresharedKey, generatePrivateKey, Key, LanrageError, publicKeyFrom } from '@lanrage/core';
import type { CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';

/** A key on standard input is 44 characters and a newline; allow generous whitespace, never unbounded input. */
const STDIN_KEY_BYTES = 4096;

/** A secret key about to go into a file others can read: say so on stderr, as `wg genkey` does (the key is still written). */
function warnWorldAccessible(ctx: CliContext): void {
  if (ctx.io.stdoutWorldAccessible?.()) {
    ctx.io.stderr('lanrage: warning: writing a secret key to a file others can read; run `umask 077` first, then write it again\n');
  }
}

/** `lanrage genkey`: a new clamped private key on stdout, like `wg genkey`. */
export function genkey(ctx: CliContext): ExitCode {
  warnWorldAccessible(ctx);
  const key = generatePrivateKey();
  ctx.io.stdout(`${key.toBase64()}\n`);
  key.wipe();
  return ExitCode.OK;
}

/** `lanrage genpsk`: a new preshared key on stdout, like `wg genpsk`. */
export function genpsk(ctx: CliContext): ExitCode {
  warnWorldAccessible(ctx);
  const key = generatePresharedKey();
  ctx.io.stdout(`${key.toBase64()}\n`);
  key.wipe();
  return ExitCode.OK;
}

/** `lanrage pubkey`: private key on stdin, public key on stdout, like `wg pubkey`. */
export async function pubkey(ctx: CliContext): Promise<ExitCode> {
  const input = await ctx.io.readStdin(STDIN_KEY_BYTES);
  const text = input.toString('latin1').replace(/[ \t\r\n]+$/, '');
  input.fill(0);
  let key: Key;
  try {
    key = Key.parse(text, 'private', 'the private key on standard input');
  } catch (err) {
    // Input data, not a value typed on the command line: exit 1, as `wg pubkey` does.
    throw new LanrageError('INVALID_KEY_FILE', (err as Error).message, { remedy: 'Pipe in one private key, as printed by lanrage genkey or wg genkey.' });
  }
  ctx.io.stdout(`${publicKeyFrom(key).toBase64()}\n`);
  key.wipe();
  return ExitCode.OK;
}
