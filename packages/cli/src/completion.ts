import { readdirSync, readFileSync } from 'node:fs';
import { LanrageError } from '@lanrage/core';

/**
 * Completion from the command tree itself (cobra's model): each shell's script is a few lines
 * that call the hidden `lanrage __complete <words…> <current>` and offer what it prints, one
 * candidate a line, or file names when the first line is FILES. So subcommands, per-command
 * flags, flag values (backends, interface names, files) and positional arguments (peer keys
 * and names, files for `apply`) follow the program as it is, in every shell alike.
 */
export const FILES = '@files';

/** The part of a commander Option the walk reads. */
interface OptionLike {
  short?: string | undefined;
  long?: string | undefined;
  required?: boolean;
  optional?: boolean;
  hidden?: boolean;
  argChoices?: readonly string[] | undefined;
}

/** The part of a commander Command the walk reads. */
export interface CommandLike {
  name(): string;
  readonly commands: readonly CommandLike[];
  readonly options: readonly OptionLike[];
  readonly registeredArguments?: readonly { name(): string }[];
}

/** What completion needs from the machine (tests pass their own). */
export interface CompletionSources {
  /** WireGuard interfaces here (kernel links and wireguard-go sockets). */
  interfaces(): string[];
  /** Peer public keys of an interface (none when they cannot be read). */
  peers(iface: string | undefined): Promise<string[]>;
}

const takesValue = (o: OptionLike) => o.required === true || o.optional === true;
const flagsOf = (o: OptionLike) => [o.short, o.long].filter((f): f is string => typeof f === 'string');

/** Options whose value is a file name. */
const FILE_OPTIONS = new Set(['--config', '--preshared-key-file', '--output', '-o']);
/** Positional arguments that are file names, and those that are a peer of the interface. */
const FILE_ARGUMENTS = new Set(['wg-quick.conf']);
const PEER_ARGUMENTS = new Set(['public-key', 'key-or-name']);

/**
 * The candidates for the last of `words` (the word being typed; may be empty), the ones before
 * it being what is already on the command line after `lanrage`.
 */
export async function complete(program: CommandLike, words: readonly string[], sources: CompletionSources): Promise<string[]> {
  const before = words.slice(0, -1);
  const cur = words.at(-1) ?? '';
  const chain: CommandLike[] = [program];
  let positional = 0;
  let iface: string | undefined;
  let pendingValue: OptionLike | undefined;
  const optionOf = (flag: string) => {
    for (let i = chain.length - 1; i >= 0; i--) {
      const o = (chain[i] as CommandLike).options.find((x) => x.short === flag || x.long === flag);
      if (o) return o;
    }
    return undefined;
  };
  for (const w of before) {
    if (pendingValue) {
      if (pendingValue.long === '--interface') iface = w;
      pendingValue = undefined;
      continue;
    }
    if (w.startsWith('-')) {
      const [flag, inline] = w.split('=', 2) as [string, string | undefined];
      const o = optionOf(flag);
      if (o && takesValue(o) && inline === undefined) pendingValue = o;
      if (o?.long === '--interface' && inline !== undefined) iface = inline;
      continue;
    }
    const sub = (chain.at(-1) as CommandLike).commands.find((c) => c.name() === w);
    if (sub && positional === 0) chain.push(sub);
    else positional++;
  }
  const here = chain.at(-1) as CommandLike;
  if (pendingValue) return valuesFor(pendingValue, sources);
  if (cur.startsWith('-')) {
    const flags = chain.flatMap((c) => c.options.filter((o) => !o.hidden).flatMap(flagsOf));
    return [...new Set(flags)].filter((f) => f.startsWith(cur)).sort();
  }
  const subs = positional === 0 ? here.commands.map((c) => c.name()).filter((n) => !n.startsWith('__')) : [];
  const arg = here.registeredArguments?.[positional]?.name();
  if (subs.length > 0) return subs.filter((s) => s.startsWith(cur)).sort();
  if (arg !== undefined && FILE_ARGUMENTS.has(arg)) return [FILES];
  if (arg !== undefined && PEER_ARGUMENTS.has(arg) && here.name() !== 'add') return (await sources.peers(iface)).filter((p) => p.startsWith(cur));
  if (here.name() === 'completion' && positional === 0) return ['bash', 'fish', 'zsh'].filter((s) => s.startsWith(cur));
  return [];
}

function valuesFor(o: OptionLike, sources: CompletionSources): string[] {
  if (o.argChoices) return [...o.argChoices];
  if (o.long === '--interface') return sources.interfaces();
  if (flagsOf(o).some((f) => FILE_OPTIONS.has(f))) return [FILES];
  return [];
}

/** WireGuard interfaces: kernel links (DEVTYPE=wireguard) and wireguard-go's UAPI sockets; no privileges needed. */
export function localInterfaces(): string[] {
  const out = new Set<string>();
  try {
    for (const link of readdirSync('/sys/class/net')) {
      try {
        if (/^DEVTYPE=wireguard$/m.test(readFileSync(`/sys/class/net/${link}/uevent`, 'utf8'))) out.add(link);
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // not Linux
  }
  try {
    for (const f of readdirSync('/var/run/wireguard')) if (f.endsWith('.sock')) out.add(f.slice(0, -5));
  } catch {
    // no userspace interfaces
  }
  return [...out].sort();
}

/** The script for `shell`: it asks `lanrage __complete` at each Tab. */
export function completionScript(shell: string): string {
  if (shell === 'bash') {
    // The words come from COMP_LINE (COMP_WORDS splits at = and :), and candidates are matched
    // literally (compgen -W would expand $(…) in a name).
    return `# bash completion for lanrage (from the command tree: lanrage __complete)
_lanrage() {
  local line="\${COMP_LINE:0:COMP_POINT}" cur out c IFS
  local -a words
  read -ra words <<< "$line"
  [[ "$line" =~ [[:space:]]$ ]] && words+=("")
  cur="\${words[\${#words[@]}-1]}"
  IFS=$'\n'
  out=$(lanrage __complete "\${words[@]:1}" 2>/dev/null)
  COMPREPLY=()
  if [[ "$out" == ${FILES}* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=( $(compgen -f -- "$cur") )
  else
    for c in $out; do [[ "$c" == "$cur"* ]] && COMPREPLY+=("$c"); done
  fi
}
complete -F _lanrage lanrage
`;
  }
  if (shell === 'zsh') {
    return `#compdef lanrage
# zsh completion for lanrage (from the command tree: lanrage __complete)
_lanrage() {
  local -a out
  out=("\${(@f)$(lanrage __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ "\${out[1]}" == ${FILES}* ]]; then
    _files
  else
    compadd -- "\${(@)out:#}"
  fi
}
compdef _lanrage lanrage
`;
  }
  if (shell === 'fish') {
    return `# fish completion for lanrage (from the command tree: lanrage __complete)
function __lanrage_complete
  set -l words (commandline -opc) (commandline -ct)
  set -e words[1]
  set -l out (lanrage __complete $words 2>/dev/null)
  if test "$out[1]" = "${FILES}"
    __fish_complete_path (commandline -ct)
  else
    printf '%s\\n' $out
  end
end
complete -c lanrage -f -a '(__lanrage_complete)'
`;
  }
  throw new LanrageError('INVALID_ARGUMENT', `no completion for shell ${/^[a-z]{1,10}$/.test(shell) ? shell : '?'}; use bash, zsh or fish`);
}
