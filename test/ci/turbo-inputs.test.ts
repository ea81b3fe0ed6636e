// Build correctness (issue 19): turbo reuses a cached addon unless one of the task's inputs
// changed, so every file CMake compiles into the addon must lie under an input of
// `build:native`. Read from CMakeLists.txt itself, so a new source directory cannot be missed.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = join(repo, 'packages/native-linux');

/** A turbo glob (`src/codec/**`, `CMakeLists.txt`) matches a package-relative path. */
function covers(glob: string, path: string): boolean {
  if (glob.endsWith('/**')) return path.startsWith(glob.slice(0, -2));
  return glob === path;
}

describe('turbo inputs of the native build', () => {
  it('cover every source CMake builds the addon from (a codec-only change rebuilds it)', () => {
    const turbo = JSON.parse(readFileSync(join(repo, 'turbo.json'), 'utf8')) as { tasks: Record<string, { inputs?: string[] }> };
    const inputs = turbo.tasks['build:native']?.inputs ?? [];
    const cmake = readFileSync(join(pkg, 'CMakeLists.txt'), 'utf8');
    const libraries = [...cmake.matchAll(/add_library\([^)]*\)/gs)].map((m) => m[0]).join('\n');
    const sources = [...libraries.matchAll(/\bsrc\/[\w./-]+\.(?:cpp|hpp|h|cc)\b/g)].map((m) => m[0]);
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.some((s) => s.startsWith('src/codec/'))).toBe(true);
    const missed = sources.filter((s) => !inputs.some((g) => covers(g, s)));
    expect(missed, `build:native inputs ${JSON.stringify(inputs)} miss`).toEqual([]);
    // headers the sources include live beside them: the directories are covered as a whole
    for (const dir of new Set(sources.map((s) => s.split('/').slice(0, 2).join('/')))) {
      expect(inputs).toContain(`${dir}/**`);
    }
    expect(inputs).toContain('CMakeLists.txt');
  });
});
