// docs/reliability.md shows the fault suite's table: its cases and their anchor ids must be the
// suite's own, so a case added, renamed or dropped in test/faults cannot leave the docs behind.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the fault table in docs/reliability.md', () => {
  it('lists exactly the cases of test/faults/faults.test.ts, with the same anchors', () => {
    const suite = readFileSync(join(repo, 'test/faults/faults.test.ts'), 'utf8');
    const inSuite = new Map([...suite.matchAll(/id: '(F\d+)',\s*anchors: '([^']+)'/g)].map((m) => [m[1] as string, m[2] as string]));
    expect(inSuite.size).toBeGreaterThanOrEqual(12);
    // every case `it(...)` records its row
    const cases = [...suite.matchAll(/\bit\('(F\d+) /g)].map((m) => m[1] as string);
    expect([...inSuite.keys()].sort()).toEqual([...cases].sort());
    const docs = readFileSync(join(repo, 'docs/reliability.md'), 'utf8');
    const inDocs = new Map([...docs.matchAll(/^\| (F\d+) +\| ([^|]+?) +\|/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]));
    expect(Object.fromEntries(inDocs)).toEqual(Object.fromEntries(inSuite));
  });
});
