// Completion as users get it: each shell sources `lanrage completion <shell>` and its
// completion function is driven with a half-typed command line; what it offers must come from
// `lanrage __complete` (the command tree), including file names for `apply`.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, prerequisites } from '../helpers/prerequisites.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');

describeWith('shell completion driven in bash, zsh and fish', [prerequisites.bash(), prerequisites.zsh(), prerequisites.fish()], () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lanrage-completion-'));
    // `lanrage` on PATH, as an installed one would be; a file for `apply` to offer.
    writeFileSync(join(dir, 'lanrage'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(join(dir, 'lanrage'), 0o755);
    writeFileSync(join(dir, 'office.conf'), '[Interface]\n');
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, LANRAGE_CONFIG_DIR: join(dir, 'config'), HOME: dir };
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** What bash's _lanrage offers for `words` (the last is the word being typed). */
  function bash(words: string[]): string[] {
    const line = ['lanrage', ...words].join(' ');
    const script = `source <(lanrage completion bash)
COMP_LINE='${line}'; COMP_POINT=\${#COMP_LINE}
_lanrage; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['-c', script], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  /** zsh: _lanrage run with compadd and _files standing in for the completion system's. */
  function zsh(words: string[]): string[] {
    const script = `compdef() { :; }
compadd() { [[ $1 == -- ]] && shift; print -l -- "$@" }
_files() { print -l -- *(N) }
source <(lanrage completion zsh)
words=(lanrage ${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length + 1}
_lanrage`;
    const r = spawnSync('zsh', ['-f', '-c', script], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  /** fish's own `complete -C` on the command line. */
  function fish(line: string): string[] {
    const r = spawnSync('fish', ['--no-config', '-c', `lanrage completion fish | source; complete -C '${line}'`], { cwd: dir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t')[0] as string)
      .sort();
  }

  it('subcommands of a subcommand', () => {
    expect(bash(['peer', ''])).toEqual(['add', 'remove', 'set', 'show']);
    expect(zsh(['peer', ''])).toEqual(['add', 'remove', 'set', 'show']);
    expect(fish('lanrage peer ')).toEqual(['add', 'remove', 'set', 'show']);
  });

  it("a subcommand's own flags and the global ones, after a positional argument", () => {
    for (const got of [bash(['peer', 'add', 'KEY', '--']), zsh(['peer', 'add', 'KEY', '--']), fish('lanrage peer add KEY --')]) {
      expect(got).toEqual(expect.arrayContaining(['--allowed-ips', '--endpoint', '--keepalive', '--name', '--replace', '--json', '--interface']));
      expect(got).not.toContain('--dry-run');
    }
  });

  it('a command after a global option and its value', () => {
    expect(bash(['-i', 'lanrage0', 'st'])).toEqual(['status']);
    expect(zsh(['-i', 'lanrage0', 'st'])).toEqual(['status']);
    expect(fish('lanrage -i lanrage0 st')).toEqual(['status']);
  });

  it('flag values: the backends', () => {
    expect(bash(['-b', ''])).toEqual(['auto', 'kernel', 'userspace']);
    expect(zsh(['-b', ''])).toEqual(['auto', 'kernel', 'userspace']);
    expect(fish('lanrage -b ')).toEqual(['auto', 'kernel', 'userspace']);
  });

  it('file names for apply', () => {
    expect(bash(['apply', 'off'])).toEqual(['office.conf']);
    expect(zsh(['apply', 'off'])).toContain('office.conf');
    expect(fish('lanrage apply off')).toEqual(['office.conf']);
  });
});
