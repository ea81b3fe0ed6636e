import { win32 } from 'node:path';
import { LanrageError } from '@lanrage/core';
import type { CommandRunner } from './runner.js';

/**
 * The key store's folders (`%ProgramData%\LANrage` and its `wireguard`), made and checked so
 * that no account but SYSTEM and Administrators can read or replace what is in them (W6, C6).
 *
 * A folder is created with its security descriptor (owner Administrators, a protected DACL
 * granting only SYSTEM and Administrators), never created first and locked afterwards:
 * standard users may create folders in ProgramData, and one who makes `LANrage` first owns it,
 * and an owner can always give itself access again, whatever the DACL says. So before every
 * use the folders are inspected: a reparse point (a junction elsewhere) or an owner other than
 * SYSTEM or Administrators is refused, and the store's own folder must carry exactly the
 * protected DACL. One PowerShell run does both (SIDs only, never localized names).
 */
export const STORE_SDDL = 'O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)';
const TRUSTED_OWNERS = new Map([
  ['S-1-5-18', 'SYSTEM'],
  ['S-1-5-32-544', 'Administrators'],
]);
const STORE_ACES = ['(A;OICI;FA;;;BA)', '(A;OICI;FA;;;SY)'];

/** A PowerShell single-quoted literal. */
function psQuote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/**
 * The script: for each folder, outermost first, create it with STORE_SDDL when absent, then
 * report whether it is a folder, a reparse point, its owner SID and its SDDL; stop at the first
 * one that is not safe (nothing is created inside it). Prints one JSON array.
 */
export function secureDirScript(dirs: readonly string[]): string {
  return [
    "$ErrorActionPreference = 'Stop'",
    'try {',
    `  $sddl = '${STORE_SDDL}'`,
    `  $out = foreach ($d in @(${dirs.map(psQuote).join(', ')})) {`,
    '    if (-not (Test-Path -LiteralPath $d)) {',
    '      $sec = New-Object System.Security.AccessControl.DirectorySecurity',
    '      $sec.SetSecurityDescriptorSddlForm($sddl)',
    '      [void][System.IO.Directory]::CreateDirectory($d, $sec)',
    '    }',
    '    $item = Get-Item -LiteralPath $d -Force',
    '    $acl = Get-Acl -LiteralPath $d',
    '    $o = [pscustomobject]@{ path = $d; directory = [bool]$item.PSIsContainer; reparse = [bool]($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint); owner = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value; sddl = $acl.Sddl }',
    '    $o',
    "    if ($o.reparse -or -not $o.directory -or @('S-1-5-18', 'S-1-5-32-544') -notcontains $o.owner) { break }",
    '  }',
    '  ConvertTo-Json -InputObject @($out) -Compress',
    '} catch {',
    // Errors as JSON on stdout: a redirected stderr of -EncodedCommand is CLIXML, not text.
    '  $e = $_.Exception; while ($e.InnerException) { $e = $e.InnerException }',
    '  [pscustomobject]@{ error = $e.GetType().Name; message = $e.Message } | ConvertTo-Json -Compress',
    '  exit 3',
    '}',
  ].join('\r\n');
}

/** `powershell.exe` arguments running `script` (as -EncodedCommand: no quoting of the script through argv). */
export function powershellArgs(script: string): string[] {
  return ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')];
}

interface Inspected {
  path: string;
  directory: boolean;
  reparse: boolean;
  owner: string;
  sddl: string;
}

function unsafe(path: string, why: string): LanrageError {
  return new LanrageError('UNSAFE_KEY_FILE', `${path} ${why}: another account could read or replace the private keys kept there`, {
    remedy: `From an elevated prompt, delete it (rmdir /s /q "${path}"; the keys in it may have been read, so new ones are made) and run lanrage up again: lanrage recreates it for SYSTEM and Administrators only.`,
    details: { path },
  });
}

/** The DACL part of an SDDL string (`D:…` up to a SACL, if any). */
function daclOf(sddl: string): string {
  const d = sddl.indexOf('D:');
  if (d < 0) return '';
  const s = sddl.indexOf('S:', d);
  return sddl.slice(d, s < 0 ? undefined : s);
}

/**
 * Checks what the script reported: every folder present, none a reparse point, each owned by
 * SYSTEM or Administrators, and the last (the store itself) protected with exactly the two
 * grants. Throws UNSAFE_KEY_FILE naming the folder and what is wrong.
 */
export function verifySecureDirs(dirs: readonly string[], stdout: string): void {
  let found: Inspected[];
  try {
    const parsed: unknown = JSON.parse(stdout.trim());
    found = (Array.isArray(parsed) ? parsed : [parsed]) as Inspected[];
  } catch {
    throw new LanrageError('PROTOCOL_ERROR', 'PowerShell did not report on the key store folders');
  }
  for (const [i, dir] of dirs.entries()) {
    const f = found[i];
    if (!f) {
      const previous = found[i - 1];
      throw new LanrageError('PROTOCOL_ERROR', `PowerShell did not report on ${dir}${previous ? ` (after ${previous.path})` : ''}`);
    }
    if (f.reparse) throw unsafe(dir, 'is a reparse point (a junction or link to another place)');
    if (!f.directory) throw unsafe(dir, 'is not a folder');
    if (!TRUSTED_OWNERS.has(f.owner)) throw unsafe(dir, `is owned by ${f.owner}, not by SYSTEM or Administrators`);
  }
  const store = found[dirs.length - 1] as Inspected;
  const dacl = daclOf(store.sddl);
  const aces = dacl.match(/\([^)]*\)/g) ?? [];
  const flags = /^D:([A-Z]*)\(/.exec(dacl)?.[1] ?? '';
  const protectedDacl = flags.replace('AI', '').replace('AR', '').includes('P'); // P: nothing inherited from the parent
  if (!protectedDacl || aces.length !== STORE_ACES.length || [...aces].sort().join('') !== STORE_ACES.join('')) {
    throw unsafe(dirs[dirs.length - 1] as string, `grants access to others than SYSTEM and Administrators (${dacl || 'no DACL'})`);
  }
}

/** Creates (when absent) and checks the folders, outermost first; throws PERMISSION_DENIED when not elevated. */
export async function ensureSecureDirs(runner: CommandRunner, powershellExe: string, dirs: readonly string[]): Promise<void> {
  const r = await runner(powershellExe, powershellArgs(secureDirScript(dirs)), { timeoutMs: 60_000 });
  if (r.code !== 0) {
    let failure: { error?: string; message?: string } = {};
    try {
      failure = JSON.parse(r.stdout.trim());
    } catch {
      // PowerShell itself did not start or died: only the exit code is known
    }
    const where = dirs[dirs.length - 1];
    if (failure.error === 'UnauthorizedAccessException') {
      throw new LanrageError('PERMISSION_DENIED', `access to the key store ${where} or its parent was denied`, {
        remedy: `Run from an elevated prompt (Run as administrator). If you are, another account has locked the folder: delete it from an elevated prompt (rmdir /s /q "${win32.dirname(where as string)}") and run lanrage up again.`,
      });
    }
    throw new LanrageError('IO_ERROR', `cannot create or check the key store ${where} (PowerShell exit ${r.code}${failure.error ? `: ${failure.error}` : ''})`);
  }
  verifySecureDirs(dirs, r.stdout);
}
