#!/usr/bin/env node
// Runs one command in the WireGuard VM from the repository root:
//   node test/vm/run.mjs 'node -e "..."'
import { runInVm } from './vm.mjs';

const command = process.argv.slice(2).join(' ') || 'cat /proc/version; ls /sys/module | grep -c .';
const r = await runInVm(command);
process.stdout.write(r.output);
process.stderr.write(`[vm] exit ${r.code} after ${r.seconds.toFixed(1)} s\n`);
process.exitCode = r.code;
