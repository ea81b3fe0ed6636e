import type { Io } from '../io.js';

/** How long a wait runs before it says what it waits for. */
export const PROGRESS_AFTER_MS = 1000;
const TICK_MS = 250;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs `work`; when it takes longer than a second and stderr is a terminal, shows what it is
 * waiting for with the seconds elapsed (one line, redrawn in place, erased when done), so a
 * slow DNS answer, a process that takes seconds to stop or another lanrage holding the
 * interface never looks like a hang. Nothing is printed when stderr is not a terminal.
 * `what` is read at every redraw, so the message can change while the wait goes on.
 */
export async function withProgress<T>(io: Io, what: string | (() => string), work: Promise<T>): Promise<T> {
  if (!io.stderrIsTTY) return work;
  const started = Date.now();
  let frame = 0;
  let shown = false;
  const draw = () => {
    const text = typeof what === 'function' ? what() : what;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    io.stderr(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${text} (${secs} s)`);
    shown = true;
  };
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    draw();
    ticker = setInterval(draw, TICK_MS);
  }, PROGRESS_AFTER_MS);
  try {
    return await work;
  } finally {
    clearTimeout(first);
    if (ticker) clearInterval(ticker);
    if (shown) io.stderr('\r\x1b[2K');
  }
}
