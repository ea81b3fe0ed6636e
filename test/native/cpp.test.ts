// The C++ suites as CMake knows them: GoogleTest cases (gtest_discover_tests) and the libFuzzer
// targets (add_test) are ctest tests; this file configures, builds and runs ctest for each
// build flavour and reports every ctest result through vitest (a failure names each failed
// test with its output, from ctest's JUnit report).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeWith, findClang, prerequisites } from '../helpers/prerequisites.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '../../packages/native-linux');

interface CtestCase {
  name: string;
  passed: boolean;
  output: string;
}

const xmlText = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

/** The test cases of a ctest JUnit report (`ctest --output-junit`). */
function parseJunit(xml: string): CtestCase[] {
  const out: CtestCase[] = [];
  for (const m of xml.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const attrs = m[1] ?? '';
    const body = m[3] ?? '';
    const name = xmlText(/\bname="([^"]*)"/.exec(attrs)?.[1] ?? '?');
    const status = /\bstatus="([^"]*)"/.exec(attrs)?.[1] ?? '';
    const failed = /<failure\b/.test(body) || status === 'fail';
    const skipped = /<skipped\b/.test(body) || status === 'notrun' || status === 'disabled';
    out.push({ name, passed: !failed && !skipped, output: xmlText(/<system-out>([\s\S]*?)<\/system-out>/.exec(body)?.[1] ?? '') });
  }
  return out;
}

/** Configures and builds `dir` with `cmakeArgs`, runs ctest, and returns its cases. */
function ctest(dir: string, cmakeArgs: string[], env: NodeJS.ProcessEnv = process.env, only?: string): CtestCase[] {
  const build = join(pkg, dir);
  execFileSync('cmake', ['-S', pkg, '-B', build, '-DLANRAGE_ADDON=OFF', ...cmakeArgs], { stdio: 'pipe' });
  execFileSync('cmake', ['--build', build, '-j2', ...(only ? ['--target', only] : [])], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
  const junit = join(build, 'ctest-junit.xml');
  rmSync(junit, { force: true });
  const r = spawnSync('ctest', ['--test-dir', build, '--output-junit', junit, '--output-on-failure', '-j2', ...(only ? ['-R', `^${only}$`] : [])], {
    encoding: 'utf8',
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const cases = parseJunit(readFileSync(junit, 'utf8'));
  const failed = cases.filter((c) => !c.passed);
  expect(
    failed.map((c) => c.name),
    failed
      .map((c) => `${c.name}:\n${c.output.slice(-2000)}`)
      .join('\n')
      .concat(r.stdout.slice(-2000)),
  ).toEqual([]);
  expect(r.status, r.stdout.slice(-3000) + r.stderr.slice(-3000)).toBe(0);
  return cases;
}

describeWith('netlink core C++ tests (ctest)', [prerequisites.gtest(), prerequisites.cmake()], () => {
  const gtest = ['-DLANRAGE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Debug'];

  it('GoogleTest suite passes under AddressSanitizer and UBSan', () => {
    const cases = ctest('build-asan', [...gtest, '-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all']);
    expect(cases.length).toBeGreaterThan(40); // every GoogleTest case is its own ctest test
  }, 600_000);

  it('X4 the same suite under ThreadSanitizer: the I/O queue, its polling window and the fake kernel threads race with nothing', () => {
    const cases = ctest('build-tsan', [...gtest, '-DCMAKE_CXX_FLAGS=-fsanitize=thread -fno-omit-frame-pointer'], {
      ...process.env,
      TSAN_OPTIONS: 'halt_on_error=1',
    });
    expect(cases.length).toBeGreaterThan(40);
    for (const c of cases) expect(c.output, c.name).not.toContain('WARNING: ThreadSanitizer');
  }, 600_000);
});

describeWith('fuzzing the parsers of untrusted bytes (ctest)', [prerequisites.clang(), prerequisites.clangRuntime(), prerequisites.cmake()], () => {
  const targets: [string, string][] = [
    ['fuzz_parse_dump', 'netlink replies (message iterator and WireGuard dump parser)'],
    ['fuzz_decode_op', 'device ops from JS (the one-buffer codec; secrets always wiped)'],
  ];
  for (const [target, what] of targets) {
    it(`libFuzzer runs ${target} for 20 s without a finding: ${what}`, () => {
      const args = ['-DLANRAGE_FUZZ=ON', `-DCMAKE_CXX_COMPILER=${findClang()?.cxx}`, '-DCMAKE_BUILD_TYPE=RelWithDebInfo', '-DLANRAGE_FUZZ_SECONDS=20'];
      expect(ctest('build-fuzz', args, process.env, target).map((c) => c.name)).toEqual([target]);
    }, 600_000);
  }
});
