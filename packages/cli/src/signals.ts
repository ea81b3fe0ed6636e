/**
 * Resolves on the first SIGINT or SIGTERM, for commands that run until stopped (exporter,
 * watch): they then close what they opened and exit 0, instead of dying mid-write.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
