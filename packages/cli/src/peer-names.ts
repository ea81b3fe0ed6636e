import { join } from 'node:path';
import { LanrageError } from '@lanrage/core';
import { readRegularFile, replaceFileAtomically } from '@lanrage/core/platform';

/**
 * Names operators give peers (`lanrage peer add KEY --name alice`), kept per interface in
 * `<configDir>/names.json`: `{"version":1,"interfaces":{"lanrage0":{"<public key>":"alice"}}}`.
 * Shown by status, watch and the metrics' `name` label. Not secret, but written 0600 like the
 * rest of the directory, and replaced atomically so a crash never leaves half a file.
 */
export const NAMES_FILE = 'names.json';
const MAX_BYTES = 4 * 1024 * 1024;
export const MAX_NAME_LENGTH = 256;

interface NamesFile {
  version: 1;
  interfaces: Record<string, Record<string, string>>;
}

async function readFile(configDir: string): Promise<NamesFile> {
  let raw: Buffer;
  try {
    raw = await readRegularFile(join(configDir, NAMES_FILE), { maxBytes: MAX_BYTES, code: 'INVALID_CONFIG', what: 'peer names file' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'ENOENT') return { version: 1, interfaces: {} };
    throw err;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new LanrageError('INVALID_CONFIG', `peer names file ${join(configDir, NAMES_FILE)} is not valid JSON (it only holds names: fix or delete it)`);
  }
  const interfaces = (doc as NamesFile)?.interfaces;
  if (typeof interfaces !== 'object' || interfaces === null) return { version: 1, interfaces: {} };
  return { version: 1, interfaces };
}

/** The names of one interface's peers (public key → name); empty when there is no file. */
export async function readPeerNames(configDir: string, iface: string): Promise<Map<string, string>> {
  const names = (await readFile(configDir)).interfaces[iface] ?? {};
  return new Map(Object.entries(names).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** Sets (or with null, forgets) one peer's name. */
export async function setPeerName(configDir: string, iface: string, publicKey: string, name: string | null): Promise<void> {
  await updateNames(configDir, iface, (names) => {
    if (name === null) {
      if (!(publicKey in names)) return false;
      delete names[publicKey];
    } else names[publicKey] = name;
    return true;
  });
}

/** Forgets every name of one interface (`lanrage forget`); returns how many there were. */
export async function forgetPeerNames(configDir: string, iface: string): Promise<number> {
  let count = 0;
  await updateNames(configDir, iface, (names) => {
    count = Object.keys(names).length;
    for (const k of Object.keys(names)) delete names[k];
    return count > 0;
  });
  return count;
}

/** Reads the file, lets `change` edit one interface's names (false: nothing changed), writes it back atomically. */
async function updateNames(configDir: string, iface: string, change: (names: Record<string, string>) => boolean): Promise<void> {
  const doc = await readFile(configDir);
  const names = { ...(doc.interfaces[iface] ?? {}) };
  if (!change(names)) return;
  doc.interfaces[iface] = names;
  if (Object.keys(names).length === 0) delete doc.interfaces[iface];
  await replaceFileAtomically(join(configDir, NAMES_FILE), [`${JSON.stringify(doc, null, 2)}\n`]);
}

/** A name given on the command line: 1-256 characters, no NUL. */
export function checkName(name: string): string {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || name.includes('\0')) {
    throw new LanrageError('INVALID_ARGUMENT', `--name takes 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}
