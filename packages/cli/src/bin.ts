#!/usr/bin/env node
import { createRequire } from 'node:module';

// `lanrage --version` answers before anything else loads (scripts call it to probe); every
// other command loads the command line (one bundled file) on demand.
const argv = process.argv.slice(2);
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${version}\n`);
} else {
  const [{ runCli }, { processIo }] = await Promise.all([import('./program.js'), import('./io.js')]);
  runCli(argv, { io: processIo(), version }).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`lanrage: internal error: ${(err as Error)?.message ?? String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
