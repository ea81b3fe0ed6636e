import { open } from 'node:fs/promises';
import { LanrageError } from '@lanrage/core';
import type { CliContext, GlobalOptions } from '../context.js';
import { loadCliConfig } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { type Colors, colorsFor } from '../output/color.js';
import { untilSignal } from '../signals.js';

export interface LogsOptions extends GlobalOptions {
  lines?: string;
  follow?: boolean;
}

type Record = { [k: string]: unknown; time?: string; level?: string; event?: string; interface?: string };

/** Fields every record has, shown in the line's head rather than as key=value. */
const HEAD = new Set(['time', 'level', 'event', 'interface', 'ok', 'durationMs']);

/** One record as a line: time, level, interface, event, outcome and duration, then its other fields. */
export function formatRecord(r: Record, c: Colors): string {
  const level = r.level === 'error' ? c.red('error') : r.level === 'warn' ? c.yellow('warn ') : 'info ';
  const outcome = r.ok === true ? c.green('ok') : r.ok === false ? c.red('failed') : '';
  const took = typeof r.durationMs === 'number' ? `${r.durationMs} ms` : '';
  const rest = Object.entries(r)
    .filter(([k]) => !HEAD.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : JSON.stringify(v)}`);
  return [r.time ?? '-', level, r.interface ?? '-', r.event ?? '-', outcome, took, ...rest].filter((p) => p !== '').join('  ');
}

function parse(line: string): Record | null {
  try {
    const r = JSON.parse(line) as unknown;
    return typeof r === 'object' && r !== null ? (r as Record) : null;
  } catch {
    return null; // a torn last line (a writer killed mid-append) is skipped, not fatal
  }
}

/**
 * The last `count` lines of `path` whose record is about `iface`, reading backwards from the
 * end a chunk at a time (a log of years is never read whole). Returns them and the size read up to.
 */
async function tail(path: string, iface: string, count: number): Promise<{ lines: string[]; size: number }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    let pos = size;
    let carry = '';
    const found: string[] = [];
    while (pos > 0 && found.length < count) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos);
      const parts = (buf.toString('utf8') + carry).split('\n');
      carry = pos > 0 ? (parts.shift() ?? '') : '';
      for (let i = parts.length - 1; i >= 0 && found.length < count; i--) {
        const r = parts[i] ? parse(parts[i] as string) : null;
        if (r && r.interface === iface) found.push(parts[i] as string);
      }
    }
    if (carry && found.length < count) {
      const r = parse(carry);
      if (r && r.interface === iface) found.push(carry);
    }
    return { lines: found.reverse(), size };
  } finally {
    await fh.close();
  }
}

const CHUNK = 256 * 1024;

/**
 * `lanrage logs`: lanrage's own records for the interface (one per operation, with outcome
 * and duration, never a key), from `<configDir>/lanrage.log`; `--follow` prints new ones as
 * they are written until interrupted. `--json` prints the records as they are stored.
 */
export async function logs(ctx: CliContext, opts: LogsOptions): Promise<ExitCode> {
  const config = await loadCliConfig(ctx, opts);
  const lines = opts.lines === undefined ? 20 : Number(opts.lines);
  if (opts.lines !== undefined && !/^[0-9]{1,7}$/.test(opts.lines)) throw new LanrageError('INVALID_ARGUMENT', '--lines takes a whole number');
  const c = colorsFor(ctx.io, 'stdout');
  const print = (line: string) => {
    const r = parse(line);
    if (r) ctx.io.stdout(`${opts.json ? line : formatRecord(r, c)}\n`);
  };
  let size = 0;
  try {
    const last = await tail(config.logFile, config.interfaceName, lines);
    for (const l of last.lines) print(l);
    size = last.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new LanrageError('IO_ERROR', `cannot read ${config.logFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
        remedy: 'Run it as the user that runs lanrage (the log is 0600), or set LANRAGE_LOG_FILE.',
      });
    }
    if (!opts.follow) {
      ctx.io.stderr(`no log yet: ${config.logFile} does not exist (lanrage writes it on the first operation)\n`);
      return ExitCode.OK;
    }
  }
  if (!opts.follow) return ExitCode.OK;
  const stop = untilSignal();
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  let partial = '';
  while (!stopped) {
    await Promise.race([stop, new Promise((r) => setTimeout(r, 250))]);
    const fh = await open(config.logFile, 'r').catch(() => null);
    if (!fh) continue;
    try {
      const now = (await fh.stat()).size;
      if (now < size) size = 0; // replaced or truncated: start over
      if (now === size) continue;
      const buf = Buffer.alloc(now - size);
      await fh.read(buf, 0, buf.length, size);
      size = now;
      const parts = (partial + buf.toString('utf8')).split('\n');
      partial = parts.pop() ?? '';
      for (const l of parts) if (parse(l)?.interface === config.interfaceName) print(l);
    } finally {
      await fh.close();
    }
  }
  return ExitCode.OK;
}
