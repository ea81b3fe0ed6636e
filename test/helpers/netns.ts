import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Prerequisite, prerequisites } from './prerequisites.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Root, /dev/net/tun, wireguard-go, ip and wg: what the namespace tests need (for describeWith). */
export function namespacePrerequisites(): Prerequisite[] {
  const p = prerequisites;
  return [p.linux(), p.root(), p.tun(), p.wireguardGo(), p.ip(), p.wg()];
}

export function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function tryRun(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Two namespaces joined by a veth pair, each end with the given underlay addresses. */
export function makeNamespaces(prefix: string, aAddrs: string[], bAddrs: string[]): { a: string; b: string; destroy: () => void } {
  const a = `${prefix}-a`;
  const b = `${prefix}-b`;
  for (const ns of [a, b]) tryRun('ip', ['netns', 'del', ns]);
  sh('ip', ['netns', 'add', a]);
  sh('ip', ['netns', 'add', b]);
  sh('ip', ['link', 'add', `${prefix}va`, 'netns', a, 'type', 'veth', 'peer', 'name', `${prefix}vb`, 'netns', b]);
  for (const [ns, dev, addrs] of [
    [a, `${prefix}va`, aAddrs],
    [b, `${prefix}vb`, bAddrs],
  ] as const) {
    for (const addr of addrs) sh('ip', ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  return {
    a,
    b,
    destroy: () => {
      for (const ns of [a, b]) tryRun('ip', ['netns', 'del', ns]);
    },
  };
}

export interface AgentError {
  code: string;
  message: string;
}

/** A NetworkManager in a child process inside a namespace, driven by JSON requests. */
export class Agent {
  readonly child: ChildProcessWithoutNullStreams;
  readonly configDir: string;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: AgentError) => void }>();

  constructor(ns: string, env: Record<string, string>) {
    this.configDir = mkdtempSync(join(tmpdir(), 'lanrage-agent-'));
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(here, 'agent.mjs')], {
      env: { ...process.env, LANRAGE_CONFIG_DIR: this.configDir, LANRAGE_BACKEND: 'userspace', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr.on('data', (d) => process.stderr.write(`[agent ${ns}] ${d}`));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const msg = JSON.parse(line) as { id: number; result?: unknown; error?: AgentError };
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      if (msg.error) p?.reject(msg.error);
      else p?.resolve(msg.result);
    });
  }

  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }

  /** The call's error (fails the test if it succeeded). */
  async error(method: string, ...args: unknown[]): Promise<AgentError> {
    try {
      await this.call(method, ...args);
    } catch (e) {
      return e as AgentError;
    }
    throw new Error(`${method} was expected to fail`);
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    await new Promise((r) => this.child.once('exit', r));
    rmSync(this.configDir, { recursive: true, force: true });
  }
}

/** Parses `wg show <if> dump` into the shape the agent's `device` returns. */
export function parseWgDump(text: string) {
  const lines = text.trim().split('\n');
  const [privateKey, publicKey, listenPort, fwmark] = (lines[0] ?? '').split('\t');
  return {
    privateKey,
    publicKey,
    listenPort: Number(listenPort),
    fwmark: fwmark === 'off' ? 0 : Number(fwmark),
    peers: lines.slice(1).map((l) => {
      const [pk, psk, endpoint, allowed, hs, rx, tx, ka] = l.split('\t');
      return {
        publicKey: pk,
        presharedKey: psk === '(none)' ? null : psk,
        endpoint: endpoint === '(none)' ? null : endpoint,
        allowedIPs: allowed === '(none)' ? [] : (allowed ?? '').split(','),
        lastHandshakeSec: Number(hs),
        rxBytes: rx,
        txBytes: tx,
        persistentKeepalive: ka === 'off' ? 0 : Number(ka),
      };
    }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
