/** Ctrl-C handling: the first SIGINT aborts the running request; a second one exits at once with 130. */
import { ExitCode, InterruptedError } from "./exit-codes.js";

/**
 * Another source of interrupts besides the process's SIGINT (e.g. a readline interface in raw mode, where
 * Ctrl-C arrives as a key): it gets the interrupt function and returns a function that unregisters it.
 */
export type InterruptSource = (interrupt: () => void) => () => void;

/**
 * Runs `task` with an `AbortSignal` that SIGINT (Ctrl-C) aborts. When the task fails after an interrupt,
 * the failure becomes an {@link InterruptedError} (exit code 130). A second interrupt exits immediately.
 */
export async function withInterrupt<T>(
  task: (signal: AbortSignal) => Promise<T>,
  source?: InterruptSource,
): Promise<T> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(ExitCode.Interrupted);
    controller.abort(new InterruptedError());
  };
  process.on("SIGINT", onSigint);
  const unregister = source?.(onSigint);
  try {
    const result = await task(controller.signal);
    if (controller.signal.aborted) throw new InterruptedError();
    return result;
  } catch (error) {
    if (controller.signal.aborted) throw new InterruptedError();
    throw error;
  } finally {
    process.off("SIGINT", onSigint);
    unregister?.();
  }
}
