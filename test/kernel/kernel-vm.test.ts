import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith, prerequisites, requireAll } from '../helpers/prerequisites.js';
// @ts-expect-error plain ESM helper without types
import { cases } from '../vm/kernel-cases.mjs';
// @ts-expect-error plain ESM helper without types
import { runInVm } from '../vm/vm.mjs';

interface CaseResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  stack?: string;
  info?: unknown;
}

// One VM boot runs the whole real-kernel suite; each case becomes one test here. Set
// LANRAGE_SKIP_VM=1 to leave it out locally; under CI (or --require-all) that, like a missing
// qemu or kernel, is a failure.
describeWith('kernel backend in a VM with the WireGuard module', [prerequisites.vm()], () => {
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
    it(c.name, (ctx) => {
      const r = results.get(c.name);
      if (!r) throw new Error(`the case did not report (VM output tail):\n${boot?.output.slice(-3000)}`);
      if (!r.ok) throw new Error(`${r.error}\n${r.stack ?? ''}`);
      if (r.info) console.log(`${c.name}: ${JSON.stringify(r.info)}`);
      // A case that could not exercise its path on this kernel says so: a skip, never a pass.
      const skipped = (r.info as { skipped?: string } | undefined)?.skipped;
      if (skipped) {
        if (requireAll) throw new Error(`the case could not run on this kernel (${skipped}); CI never counts that as a pass`);
        ctx.skip(`skipped: ${skipped}`);
      }
      expect(r.ok).toBe(true);
    });
  }
});
