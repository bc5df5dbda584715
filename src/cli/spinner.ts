/** A small spinner on stderr, shown only when stderr is a terminal. */

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** Elapsed time for the spinner: `0s`, `42s`, `3m 05s`, `1h 02m`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** A spinner that can be started and stopped many times; `stop()` erases its line. */
export interface Spinner {
  /**
   * Shows the spinner with a label and the time elapsed since `since` (a `Date.now()` value; default: when
   * this spinner was started, kept while it spins). Updates the label when already spinning.
   */
  start(label?: string, since?: number): void;
  /** Erases the spinner line. Safe to call when not spinning. */
  stop(): void;
}

/** Creates a spinner writing to `stream`; a disabled spinner does nothing. Default interval: 80 ms. */
export function createSpinner(
  stream: NodeJS.WriteStream = process.stderr,
  options: {
    enabled?: boolean;
    colour?: (text: string) => string;
    dim?: (text: string) => string;
    intervalMs?: number;
    now?: () => number;
  } = {},
): Spinner {
  const now = options.now ?? Date.now;
  const dim = options.dim ?? ((t: string) => t);
  let started = 0;
  const enabled = options.enabled ?? stream.isTTY === true;
  const colour = options.colour ?? ((t: string) => t);
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let label = "";
  const draw = () => {
    const elapsed = dim(`(${formatElapsed(now() - started)})`);
    stream.write(`\r${colour(FRAMES[frame % FRAMES.length] ?? "-")} ${label} ${elapsed}\x1b[K`);
    frame += 1;
  };
  return {
    start(text = "Working…", since?: number) {
      if (!enabled) return;
      label = text;
      if (since !== undefined) started = since;
      if (timer !== undefined) return;
      if (since === undefined) started = now();
      draw();
      timer = setInterval(draw, options.intervalMs ?? 80);
      timer.unref();
    },
    stop() {
      if (!enabled || timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      stream.write("\r\x1b[K");
    },
  };
}
