// What the benchmarks that install interfaces and routes share: the backend asked for on the
// command line, and running in a new network namespace of their own (unshare -n, loopback up),
// so nothing they create touches the host's links or routing table.
import { spawnSync } from 'node:child_process';

/** `--backend X` from argv, else LANRAGE_BACKEND, else auto. */
export function backendArg(args = process.argv.slice(2)) {
  return args.includes('--backend') ? args[args.indexOf('--backend') + 1] : (process.env.LANRAGE_BACKEND ?? 'auto');
}

/** Re-runs this script under `unshare -n` (and exits with its status) unless it already is; then brings loopback up. */
export function inOwnNetworkNamespace() {
  if (!process.env.LANRAGE_BENCH_IN_NETNS) {
    const r = spawnSync('unshare', ['-n', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, LANRAGE_BENCH_IN_NETNS: '1' },
    });
    process.exit(r.status ?? 1);
  }
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
}
