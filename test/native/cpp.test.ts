import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { describeWith, prerequisites } from '../helpers/prerequisites.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '../../packages/native-linux');

describeWith('netlink core C++ tests', [prerequisites.gtest(), prerequisites.cmake()], () => {
  /** Configures and builds the GoogleTest binary with `flags` in `dir`, runs it, and checks it passed. */
  const suite = (dir: string, flags: string, env: NodeJS.ProcessEnv = process.env) => {
    const build = join(pkg, dir);
    execFileSync('cmake', ['-S', pkg, '-B', build, '-DLANRAGE_ADDON=OFF', '-DLANRAGE_TESTS=ON', '-DCMAKE_BUILD_TYPE=Debug', `-DCMAKE_CXX_FLAGS=${flags}`], {
      stdio: 'pipe',
    });
    execFileSync('cmake', ['--build', build, '-j2'], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
    const r = spawnSync(join(build, 'netlink_tests'), [], { encoding: 'utf8', env });
    expect(r.stdout).toMatch(/\[ {2}PASSED {2}\] \d+ tests?\./);
    expect(r.status, r.stdout.slice(-3000) + r.stderr.slice(-3000)).toBe(0);
    return r;
  };

  it('GoogleTest suite passes under AddressSanitizer and UBSan', () => {
    suite('build-asan', '-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all');
  }, 600_000);

  it('X4 the same suite under ThreadSanitizer: the I/O queue, its polling window and the fake kernel threads race with nothing', () => {
    const r = suite('build-tsan', '-fsanitize=thread -fno-omit-frame-pointer', { ...process.env, TSAN_OPTIONS: 'halt_on_error=1' });
    expect(r.stderr).not.toContain('ThreadSanitizer');
  }, 600_000);
});

describeWith('fuzzing the parsers of untrusted bytes', [prerequisites.clang(), prerequisites.clangRuntime(), prerequisites.cmake()], () => {
  const build = join(pkg, 'build-fuzz');
  const targets: [string, string][] = [
    ['fuzz_parse_dump', 'netlink replies (message iterator and WireGuard dump parser)'],
    ['fuzz_decode_op', 'device ops from JS (the one-buffer codec; secrets always wiped)'],
  ];
  for (const [target, what] of targets) {
    it(`libFuzzer runs ${target} for a bounded time without a crash: ${what}`, () => {
      execFileSync(
        'cmake',
        ['-S', pkg, '-B', build, '-DLANRAGE_ADDON=OFF', '-DLANRAGE_FUZZ=ON', '-DCMAKE_CXX_COMPILER=clang++-14', '-DCMAKE_BUILD_TYPE=RelWithDebInfo'],
        { stdio: 'pipe' },
      );
      execFileSync('cmake', ['--build', build, '-j2', '--target', target], { stdio: 'pipe', maxBuffer: 64 * 1024 * 1024 });
      const corpus = join(build, `corpus-${target}`);
      mkdirSync(corpus, { recursive: true });
      const r = spawnSync(join(build, target), ['-max_total_time=20', '-rss_limit_mb=1024', corpus], { encoding: 'utf8' });
      expect(r.stderr).toMatch(/Done \d+ runs in \d+ second/);
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
    }, 300_000);
  }
});
