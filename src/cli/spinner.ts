/** A small spinner on stderr, shown only when stderr is a terminal. */

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A spinner that can be started and stopped many times; `stop()` erases its line. */
export interface Spinner {
  /** Shows the spinner with a label (no-op when already spinning with the same label). */
  start(label?: string): void;
  /** Erases the spinner line. Safe to call when not spinning. */
  stop(): void;
}

/** Creates a spinner writing to `stream`; a disabled spinner does nothing. Default interval: 80 ms. */
export function createSpinner(
  stream: NodeJS.WriteStream = process.stderr,
  options: { enabled?: boolean; colour?: (text: string) => string; intervalMs?: number } = {},
): Spinner {
  const enabled = options.enabled ?? stream.isTTY === true;
  const colour = options.colour ?? ((t: string) => t);
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  let label = "";
  const draw = () => {
    stream.write(`\r${colour(FRAMES[frame % FRAMES.length] ?? "-")} ${label}\x1b[K`);
    frame += 1;
  };
  return {
    start(text = "Working…") {
      if (!enabled) return;
      label = text;
      if (timer !== undefined) return;
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
