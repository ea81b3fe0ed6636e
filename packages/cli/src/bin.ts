#!/usr/bin/env node
import { createRequire } from 'node:module';
import { processIo } from './io.js';
import { runCli } from './program.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };
runCli(process.argv.slice(2), { io: processIo(), version }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lanrage: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
