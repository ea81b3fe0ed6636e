// Requirement tags (K11, L5, X4, W8 ...) in comments and test names must point somewhere a
// reader can look them up (issue 19): every tag the code cites is a row of the case index in
// docs/reliability.md (the reliability anchors), or a fault case of the fault suite (F1...).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const TAG = /\b([KNLEAPCRXW]|F)([0-9]{1,2})\b/g;

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('build') || entry === 'prebuilds' || entry.startsWith('.')) continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (/\.(ts|mjs|cjs|cpp|hpp)$/.test(entry) && !entry.includes('.generated.')) yield p;
  }
}

/** Tags cited in comments and in test titles (string literals of it()/test()), not in code such as `A5` as a variable. */
function citedTags(text: string): string[] {
  const out: string[] = [];
  const comments = text.match(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? [];
  const titles = text.match(/\b(?:it|test|describe|describeWith)\(\s*(['"`])(?:(?!\1)[^\\]|\\.)*\1/g) ?? [];
  for (const chunk of [...comments, ...titles]) for (const m of chunk.matchAll(TAG)) out.push(`${m[1]}${m[2]}`);
  return out;
}

describe('requirement tags', () => {
  it('every tag cited in a comment or a test title is defined in docs/reliability.md', () => {
    const doc = readFileSync(join(repo, 'docs/reliability.md'), 'utf8');
    const defined = new Set([...doc.matchAll(/^\|\s*([A-Z][0-9]{1,2})\s*\|/gm)].map((m) => m[1] as string));
    expect(defined.size).toBeGreaterThan(80); // the 81 anchors, and the fault cases
    const missing: string[] = [];
    let cited = 0;
    for (const root of ['packages', 'test', 'bench', 'scripts']) {
      for (const file of sources(join(repo, root))) {
        for (const tag of citedTags(readFileSync(file, 'utf8'))) {
          cited++;
          if (!defined.has(tag)) missing.push(`${relative(repo, file)}: ${tag}`);
        }
      }
    }
    expect(cited).toBeGreaterThan(100);
    expect([...new Set(missing)]).toEqual([]);
  });
});
