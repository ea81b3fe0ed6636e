export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log record. Values are plain data; keys appear only as public keys. */
export interface LogRecord {
  time: string;
  level: LogLevel;
  /** What happened: `initialize`, `addPeer`, `backend.selected`, ... */
  event: string;
  durationMs?: number;
  ok?: boolean;
  [field: string]: unknown;
}

/** Where NetworkManager and the backends send their records. */
export interface Logger {
  log(record: LogRecord): void;
}

export const noopLogger: Logger = { log() {} };

/** Collects records in memory (tests, `--verbose` renderers). */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = [];
  log(record: LogRecord): void {
    this.records.push(record);
  }
}

/** Serialises a record as one JSON line; Key objects render through their redacting toJSON. */
export function formatLogRecord(record: LogRecord): string {
  return JSON.stringify(record, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * Sends one record (time and level filled in) to `logger`; a logger that throws is ignored: a
 * broken log must never break networking. What NetworkManager and every backend log through.
 */
export function emit(logger: Logger | undefined, level: LogLevel, event: string, fields: Record<string, unknown> = {}): void {
  if (logger === undefined || logger === noopLogger) return;
  try {
    logger.log({ time: new Date().toISOString(), level, event, ...fields });
  } catch {
    // a broken logger must not break networking
  }
}
