// The real-kernel suite: runs every case of kernel-cases.mjs in this (VM) kernel, one
// `##RESULT {...}` line per case, which the host test turns into test results.
import { be, cases } from './kernel-cases.mjs';

const only = process.env.LANRAGE_VM_ONLY ? new RegExp(process.env.LANRAGE_VM_ONLY) : null;
let failed = 0;
for (const c of cases) {
  if (only && !only.test(c.name)) continue;
  const t0 = Date.now();
  try {
    const info = await c.fn();
    console.log(`##RESULT ${JSON.stringify({ name: c.name, ok: true, ms: Date.now() - t0, info: info ?? null })}`);
  } catch (err) {
    failed++;
    console.log(
      `##RESULT ${JSON.stringify({ name: c.name, ok: false, ms: Date.now() - t0, error: `${err.code ? `${err.code}: ` : ''}${err.message}`, stack: err.stack?.split('\n').slice(1, 4).join(' | ') })}`,
    );
  }
}
await be.close();
process.exitCode = failed ? 1 : 0;
