export { runCli, buildProgram } from './program.js';
export { ExitCode, EXIT_CODE_HELP } from './exit-codes.js';
export type { Io } from './io.js';
export type { CliContext } from './context.js';
