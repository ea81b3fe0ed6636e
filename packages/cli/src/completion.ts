import { LanrageError } from '@lanrage/core';

interface Node {
  path: string[];
  subcommands: string[];
  options: string[];
}

/** The part of a commander Command the walk reads. */
interface CommandLike {
  name(): string;
  readonly commands: readonly CommandLike[];
  readonly options: readonly { short?: string | undefined; long?: string | undefined }[];
}

function walk(cmd: CommandLike, path: string[], out: Node[]): void {
  const subs = cmd.commands;
  out.push({
    path,
    subcommands: subs.map((c) => c.name()),
    options: cmd.options.flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string')),
  });
  for (const c of subs) walk(c, [...path, c.name()], out);
}

/** A static completion script made by walking the command tree (no runtime dependency). */
export function completionScript(program: CommandLike, shell: string): string {
  const nodes: Node[] = [];
  walk(program, [], nodes);
  const globals = nodes[0]?.options ?? [];
  if (shell === 'bash') {
    const cases = nodes.map((n) => `    "${n.path.join(' ')}") words="${[...n.subcommands, ...n.options, ...globals].join(' ')}" ;;`).join('\n');
    return `# bash completion for lanrage\n_lanrage() {\n  local cur path words i\n  cur="\${COMP_WORDS[COMP_CWORD]}"\n  path=""\n  for ((i=1; i<COMP_CWORD; i++)); do\n    case "\${COMP_WORDS[i]}" in -*) ;; *) path="\${path:+$path }\${COMP_WORDS[i]}" ;; esac\n  done\n  case "$path" in\n${cases}\n    *) words="${globals.join(' ')}" ;;\n  esac\n  COMPREPLY=( $(compgen -W "$words" -- "$cur") )\n}\ncomplete -F _lanrage lanrage\n`;
  }
  if (shell === 'zsh') {
    const top = nodes[0]?.subcommands ?? [];
    return `#compdef lanrage\n_lanrage() {\n  local -a cmds\n  cmds=(${top.map((c) => `'${c}'`).join(' ')})\n  if (( CURRENT == 2 )); then\n    _describe 'command' cmds\n  else\n    _arguments '*: :(${[...new Set(nodes.flatMap((n) => [...n.subcommands, ...n.options]))].join(' ')})'\n  fi\n}\ncompdef _lanrage lanrage\n`;
  }
  if (shell === 'fish') {
    const lines = ['# fish completion for lanrage', 'complete -c lanrage -f'];
    for (const c of nodes[0]?.subcommands ?? []) lines.push(`complete -c lanrage -n '__fish_use_subcommand' -a ${c}`);
    for (const n of nodes.slice(1)) {
      for (const s of n.subcommands) lines.push(`complete -c lanrage -n '__fish_seen_subcommand_from ${n.path.at(-1)}' -a ${s}`);
    }
    for (const o of globals.filter((g) => g.startsWith('--'))) lines.push(`complete -c lanrage -l ${o.slice(2)}`);
    return `${lines.join('\n')}\n`;
  }
  throw new LanrageError('INVALID_ARGUMENT', `no completion for shell ${/^[a-z]{1,10}$/.test(shell) ? shell : '?'}; use bash, zsh or fish`);
}
