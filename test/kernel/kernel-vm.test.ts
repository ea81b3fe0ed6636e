import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { cases } from '../vm/kernel-cases.mjs';
// @ts-expect-error plain ESM helper without types
import { runInVm, vmUnavailableReason } from '../vm/vm.mjs';

interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  stack?: string;
  info?: unknown;
}

// One VM boot runs the whole real-kernel suite; each case becomes one test here. Set
// LANRAGE_SKIP_VM=1 to leave it out locally (it is never skipped in CI).
const reason: string | null = process.env.LANRAGE_SKIP_VM === '1' ? 'LANRAGE_SKIP_VM=1' : vmUnavailableReason();

describe.skipIf(reason !== null)(`kernel backend in a VM with the WireGuard module${reason ? ` (skipped: ${reason})` : ''}`, () => {
  const results = new Map<string, CaseResult>();
  let boot: { code: number; output: string; seconds: number } | undefined;

  beforeAll(async () => {
    boot = await runInVm('node test/vm/kernel-suite.mjs');
    for (const line of boot.output.split('\n')) {
      if (line.startsWith('##RESULT ')) {
        const r = JSON.parse(line.slice(9)) as CaseResult;
        results.set(r.name, r);
      }
    }
  }, 40 * 60_000);

  afterAll(() => {
    if (boot) console.log(`VM suite: ${results.size} cases in ${boot.seconds.toFixed(0)} s (exit ${boot.code})`);
  });

  for (const c of cases as { name: string }[]) {
    it(c.name, () => {
      const r = results.get(c.name);
      if (!r) throw new Error(`the case did not report (VM output tail):\n${boot?.output.slice(-3000)}`);
      if (!r.ok) throw new Error(`${r.error}\n${r.stack ?? ''}`);
      if (r.info) console.log(`${c.name}: ${JSON.stringify(r.info)}`);
      expect(r.ok).toBe(true);
    });
  }
});
