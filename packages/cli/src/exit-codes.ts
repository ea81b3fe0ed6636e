/** The exit codes of `lanrage`, documented in `--help` and the README. */
export const ExitCode = {
  OK: 0,
  /** The operation failed (kernel, I/O, peer unreachable at the end of `ping`). */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** The interface is not up (`status`, `peers`, peer changes). */
  NOT_UP: 3,
  /** Permission denied: needs root / CAP_NET_ADMIN (or an elevated prompt on Windows). */
  PERMISSION: 4,
  /** The reader of the output went away (`lanrage status | head -1`): 128 + SIGPIPE, as a shell reports for `wg`. */
  BROKEN_PIPE: 141,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  success
  1  the operation failed
  2  usage error
  3  the interface is not up
  4  permission denied (run as root or with CAP_NET_ADMIN; elevated prompt on Windows)
  141  the output pipe was closed early (lanrage status | head -1), as for a program stopped by SIGPIPE`;
