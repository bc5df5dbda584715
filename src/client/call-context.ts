/**
 * The lifetime of one call: the caller's signal, the total timeout and an internal abort (used by
 * `ChatStream.abort()` and by leaving a `for await` early), combined into one `AbortSignal`.
 */
import { APITimeoutError, APIUserAbortError, type RobocodersError } from "../core/errors.js";

/** Limits of one call. */
export interface CallLimits {
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** Total time limit in ms. */
  timeout: number;
  /** Longest silence between bytes in ms. */
  idleTimeout: number;
}

/** One call's abort state. Create one per public call; {@link dispose} when done. */
export class CallContext {
  /** Aborted by the caller, the total timeout or {@link abort}. Pass it to `fetch`. */
  readonly signal: AbortSignal;
  /** Longest silence between bytes in ms. */
  readonly idleTimeout: number;
  /** Total time limit in ms. */
  readonly timeout: number;
  /** One controller for the whole call (cheaper than combining signals with `AbortSignal.any`). */
  private readonly controller = new AbortController();
  private readonly callerSignal: AbortSignal | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly endsAt: number;
  /** Why the call was aborted from inside: an internal abort, or the total timeout. */
  private stopped: { kind: "internal"; reason: unknown } | { kind: "deadline" } | undefined;
  private readonly onCallerAbort = (): void => {
    this.controller.abort(this.callerSignal?.reason);
  };

  constructor(limits: CallLimits) {
    this.timeout = limits.timeout;
    this.idleTimeout = limits.idleTimeout;
    this.callerSignal = limits.signal;
    this.endsAt = Date.now() + limits.timeout;
    this.signal = this.controller.signal;
    this.timer = setTimeout(() => {
      if (this.controller.signal.aborted) return;
      this.stopped = { kind: "deadline" };
      this.controller.abort(new APITimeoutError("total", limits.timeout));
    }, limits.timeout);
    this.timer.unref();
    const caller = limits.signal;
    if (caller !== undefined) {
      if (caller.aborted) this.controller.abort(caller.reason);
      else caller.addEventListener("abort", this.onCallerAbort, { once: true });
    }
  }

  /** Aborts the call from inside (a stream's `abort()`, an early `break`). */
  abort(reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    const stopped: { kind: "internal"; reason: unknown } = { kind: "internal", reason };
    // Set before aborting: abort listeners may ask for abortError() synchronously.
    this.stopped = stopped;
    this.controller.abort(reason);
    stopped.reason = this.controller.signal.reason;
  }

  /** Milliseconds left before the total timeout. */
  remainingMs(): number {
    return Math.max(0, this.endsAt - Date.now());
  }

  /**
   * The error that describes why the call was aborted, or `undefined` if it was not: the caller's abort
   * or an internal abort → {@link APIUserAbortError}; the total timeout → {@link APITimeoutError}.
   */
  abortError(cause?: unknown): RobocodersError | undefined {
    if (this.callerSignal?.aborted === true) {
      return new APIUserAbortError("Request was aborted", { cause: this.callerSignal.reason ?? cause });
    }
    const stopped = this.stopped;
    if (stopped?.kind === "internal") {
      return new APIUserAbortError("Request was aborted", { cause: stopped.reason ?? cause });
    }
    if (stopped?.kind === "deadline") return new APITimeoutError("total", this.timeout, { cause });
    return undefined;
  }

  /** Throws {@link abortError} when the call is already aborted. */
  throwIfAborted(): void {
    const error = this.abortError();
    if (error !== undefined) throw error;
  }

  /** Clears the total-timeout timer and stops listening to the caller's signal. */
  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.onCallerAbort);
  }
}

/** Waits `ms`, rejecting with the call's abort error if it is aborted meanwhile. */
export function sleep(ms: number, call: CallContext): Promise<void> {
  return new Promise((resolve, reject) => {
    const early = call.abortError();
    if (early !== undefined) {
      reject(early);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(call.abortError() ?? new APIUserAbortError());
    };
    const timer = setTimeout(() => {
      call.signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    call.signal.addEventListener("abort", onAbort, { once: true });
  });
}
