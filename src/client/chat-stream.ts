/**
 * The {@link ChatStream} implementation: an async iterable of typed events, once, whose early exit aborts
 * the HTTP request; plus the reference-rule text views.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { type RawEvent, type RobocodersEvent, referenceText, toEvent } from "../core/events.js";
import type { CallContext } from "./call-context.js";
import type { AgentName, ChatStream } from "./types.js";

/** What the producer of a {@link RobocodersChatStream} updates while it runs. */
export interface ChatProgress {
  /** The session in use. */
  sid: string | undefined;
  /** `/chat` requests made so far. */
  turns: number;
}

/** Produces the raw events of one call, updating `progress`. */
export type ChatProducer = (progress: ChatProgress) => AsyncGenerator<RawEvent>;

/**
 * One chat call's events. Nothing is requested before iteration starts. Iterate once; `break`, `return` or
 * `throw` inside the loop aborts the request at once, as does {@link abort}.
 */
export class RobocodersChatStream implements ChatStream {
  /** The agent in use. */
  readonly agent: AgentName;
  private readonly call: CallContext;
  private readonly produce: ChatProducer;
  private readonly progress: ChatProgress;
  private started = false;

  constructor(agent: AgentName, call: CallContext, produce: ChatProducer, sid?: string) {
    this.agent = agent;
    this.call = call;
    this.produce = produce;
    this.progress = { sid, turns: 0 };
  }

  /** The session id in use, known once the session is resolved (before the first event). */
  get sid(): string | undefined {
    return this.progress.sid;
  }

  /** `/chat` requests made so far: 1 + continues. */
  get turns(): number {
    return this.progress.turns;
  }

  /** The events. May be called once. */
  [Symbol.asyncIterator](): AsyncIterator<RobocodersEvent> {
    const raw = this.rawEvents();
    // A plain mapping iterator rather than another async generator layer: one promise less per event.
    const typed = (result: IteratorResult<RawEvent>): IteratorResult<RobocodersEvent> =>
      result.done === true ? result : { done: false, value: toEvent(result.value) };
    return {
      next: () => raw.next().then(typed),
      return: (value?: unknown) => raw.return(value).then(typed),
      throw: (error?: unknown) => raw.throw(error).then(typed),
    };
  }

  /** The raw events (once: shares the "iterate once" rule with the typed view). */
  private rawEvents(): AsyncGenerator<RawEvent> {
    if (this.started) throw new InvalidArgumentError("A ChatStream can be iterated only once");
    this.started = true;
    return this.run();
  }

  private async *run(): AsyncGenerator<RawEvent> {
    let completed = false;
    try {
      this.call.throwIfAborted();
      yield* this.produce(this.progress);
      completed = true;
    } finally {
      // Leaving early (or failing) must not leave a request behind.
      if (!completed) this.call.abort();
      this.call.dispose();
    }
  }

  /** The text of each event by the reference rule (`args.content`, else `message`), as it arrives. */
  async *text(): AsyncGenerator<string> {
    // The text needs no typed events: read the raw objects directly.
    for await (const raw of this.rawEvents()) {
      const text = referenceText(raw);
      if (text !== undefined) yield text;
    }
  }

  /** Waits for the whole call and returns its text, concatenated. */
  async finalText(): Promise<string> {
    let out = "";
    for await (const text of this.text()) out += text;
    return out;
  }

  /** Aborts the call; the iteration then throws {@link APIUserAbortError}. */
  abort(reason?: unknown): void {
    this.call.abort(reason);
  }
}
