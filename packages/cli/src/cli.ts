/** `lanrage/cli`: the command itself, for tests and for tools that embed the command line. */
export type { CliContext } from './context.js';
export { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';
export type { Io } from './io.js';
export { buildProgram, runCli } from './program.js';
