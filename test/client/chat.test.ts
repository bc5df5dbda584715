import { describe, expect, it } from "vitest";
import {
  APITimeoutError,
  APIUserAbortError,
  ModelNotSupportedError,
  StreamError,
} from "../../src/core/errors.js";
import { endsTurn, type RobocodersEvent } from "../../src/core/events.js";
import { referenceOutput, rejection, until, useWorld } from "./helpers.js";

const w = useWorld();

const TASK = "Write a Python script that adds two numbers";

describe("the reference rule's text", () => {
  const scenarios: Array<[string, string | undefined, string]> = [
    ["GeneralCodingAgent", undefined, TASK],
    ["RepoAgent", undefined, "Fix the failing test in my repository"],
    ["FrontEndAgent", undefined, "Build a React landing page with Tailwind"],
    ["GeneralCodingAgent", "verbose", TASK],
    ["GeneralCodingAgent", "chunk=1", TASK],
    ["GeneralCodingAgent", "chunk=random:7", TASK],
    ["GeneralCodingAgent", "chunk=split, utf8", "Écris un script qui additionne 😀"],
    ["GeneralCodingAgent", "chunk=split", "Écris un script qui additionne 😀"],
    ["GeneralCodingAgent", "crlf", TASK],
    ["GeneralCodingAgent", "split-crlf", TASK],
    ["GeneralCodingAgent", "blank-lines", TASK],
    ["GeneralCodingAgent", "no-final-newline", TASK],
    ["GeneralCodingAgent", "malformed, non-object", TASK],
    ["GeneralCodingAgent", "nan", TASK],
    ["GeneralCodingAgent", "control", TASK],
    ["GeneralCodingAgent", "error-frame", TASK],
    ["GeneralCodingAgent", "long-line=1MiB, verbose", TASK],
    ["GeneralCodingAgent", "chunk=whole, verbose, crlf, blank-lines, nan, control", TASK],
  ];
  for (const [agent, faults, prompt] of scenarios) {
    it(`equals the Python client's output: ${agent} ${faults ?? "(clean)"}`, async () => {
      if (faults !== undefined) w.emulator.setFaults(faults);
      const stream = w.client().chat(prompt, { agent });
      const text = await stream.finalText();
      expect(w.emulator.chats.length).toBeGreaterThan(0);
      expect(text).toBe(referenceOutput(w.emulator));
      expect(text.length).toBeGreaterThan(0);
      expect(w.emulator.chats.every((chat) => chat.agent === agent)).toBe(true);
    });
  }
});

describe("events", () => {
  it("yields typed events that keep their raw objects, and knows sid, agent and turns", async () => {
    w.emulator.setVerbose(true);
    const stream = w.client().chat(TASK, { agent: "frontend", maxContinues: 0 });
    expect(stream.agent).toBe("FrontEndAgent");
    const events: RobocodersEvent[] = [];
    for await (const event of stream) {
      expect(stream.sid).toBeDefined();
      events.push(event);
    }
    const record = w.emulator.chats[0];
    expect(record?.agent).toBe("FrontEndAgent");
    expect(stream.sid).toBe(record?.sid);
    expect(stream.turns).toBe(1);
    const sent = record?.lines.filter((line) => line.value !== undefined).map((line) => line.value);
    expect(events.map((event) => event.raw)).toEqual(sent);
    expect(events.some((event) => event.kind === "observation")).toBe(true);
    expect(events.at(-1) && endsTurn(events.at(-1) as RobocodersEvent)).toBe(true);
  });

  it("rejects an unknown agent before any request", () => {
    const client = w.client();
    expect(() => client.chat("hi", { agent: "GPT-4" })).toThrow(ModelNotSupportedError);
    expect(() => client.chat("hi", { agent: "GPT-4" })).toThrow(
      /GeneralCodingAgent, RepoAgent, FrontEndAgent/,
    );
    expect(w.emulator.stats.totalRequests).toBe(0);
  });

  it("can be iterated only once", async () => {
    const stream = w.client().chat("hi", { maxContinues: 0 });
    await stream.finalText();
    expect(() => stream[Symbol.asyncIterator]()).toThrow(/only once/);
  });
});

describe("auto-continue", () => {
  it("posts `continue` once by default, to the same session and agent", async () => {
    const stream = w.client().chat(TASK, { agent: "RepoAgent" });
    await stream.finalText();
    expect(stream.turns).toBe(2);
    const [first, second] = w.emulator.chats;
    expect(first?.prompt).toBe(TASK);
    expect(second?.prompt).toBe("continue");
    expect(second?.sid).toBe(first?.sid);
    expect(second?.agent).toBe("RepoAgent");
  });

  it("is disabled by maxContinues: 0", async () => {
    const stream = w.client({ maxContinues: 0 }).chat(TASK);
    await stream.finalText();
    expect(stream.turns).toBe(1);
    expect(w.emulator.stats.requests.chat).toBe(1);
  });

  it("never continues after a finish, however many continues are allowed", async () => {
    const stream = w.client().chat(TASK, { maxContinues: 5 });
    const events: RobocodersEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(stream.turns).toBe(2);
    expect(events.at(-1)?.kind === "action" && events.at(-1)?.raw.action).toBe("finish");
    expect(w.emulator.stats.requests.chat).toBe(2);
  });

  it("does not continue after a turn that ended with an error frame", async () => {
    w.emulator.setFaults("error-frame");
    const stream = w.client().chat(TASK, { maxContinues: 3 });
    await stream.finalText();
    expect(stream.turns).toBe(1);
  });
});

describe("stream faults", () => {
  it("a stream cut mid-line delivers every whole line, then a StreamError, and is not retried", async () => {
    const client = w.client();
    await client.chat(TASK, { maxContinues: 0 }).finalText();
    // The answer turn is long: cut it after three whole lines.
    const stream = client.chat("continue [[fault:cut-mid-line=3]]");
    let text = "";
    const error = await rejection(
      (async () => {
        for await (const chunk of stream.text()) text += chunk;
      })(),
    );
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).code).toBe("stream_truncated");
    expect(w.emulator.chats[1]?.outcome).toBe("cut-mid-line");
    expect(text).toBe(referenceOutput(w.emulator, 1));
    expect(w.emulator.chats[1]?.lines.length).toBe(3);
    expect(text.length).toBeGreaterThan(0);
    expect(w.emulator.stats.requests.chat).toBe(2);
  });

  it("a body without its final chunk after a turn-ending event ends that turn, and the call goes on", async () => {
    const stream = w.client().chat(`${TASK} [[fault:missing-final-chunk]]`);
    const events: RobocodersEvent[] = [];
    for await (const event of stream) events.push(event);
    expect(w.emulator.chats[0]?.outcome).toBe("missing-final-chunk");
    // The first turn asked a question: the automatic continue followed, in the same session.
    expect(stream.turns).toBe(2);
    expect(w.emulator.chats[1]?.prompt).toBe("continue");
    expect(w.emulator.chats[1]?.sid).toBe(w.emulator.chats[0]?.sid);
    const sent = w.emulator.chats.flatMap((chat) => chat.lines.flatMap((line) => line.value ?? []));
    expect(events.map((event) => event.raw)).toEqual(sent);
  });

  it("every turn without its final chunk: the text equals the Python client's, whole", async () => {
    w.emulator.setFaults("missing-final-chunk");
    const text = await w.client().chat(TASK).finalText();
    expect(w.emulator.chats.map((chat) => chat.outcome)).toEqual([
      "missing-final-chunk",
      "missing-final-chunk",
    ]);
    expect(text).toBe(referenceOutput(w.emulator));
  });

  it("a body that ends between two lines before any turn-ending event stays a StreamError", async () => {
    const client = w.client();
    await client.chat(TASK, { maxContinues: 0 }).finalText();
    const stream = client.chat("continue [[fault:cut-mid-line=2]]", { maxContinues: 3 });
    const error = await rejection(stream.finalText());
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).code).toBe("stream_truncated");
    expect(stream.turns).toBe(1);
  });

  it("a line over maxLineBytes is a StreamError line_too_long", async () => {
    const stream = w.client({ maxLineBytes: 100_000 }).chat(`${TASK} [[fault:long-line=300KiB]]`);
    const error = await rejection(stream.finalText());
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).code).toBe("line_too_long");
  });
});

describe("timeouts and cancellation", () => {
  // The first turn is a single question; the continue turn has many events, each after `silence` ms.
  it("a silence longer than idleTimeout is an idle APITimeoutError", async () => {
    w.emulator.setFaults("silence=2000");
    const stream = w.client({ idleTimeout: 300 }).chat(TASK);
    const error = await rejection(stream.finalText());
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("idle");
    expect(stream.turns).toBe(2);
    expect(w.emulator.stats.requests.chat).toBe(2);
  });

  it("a body that starts late is an idle timeout (per-call override)", async () => {
    const client = w.client();
    const error = await rejection(
      client.chat(`${TASK} [[fault:slow-body=2000]]`, { idleTimeout: 300 }).finalText(),
    );
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("idle");
  });

  it("a slow first byte beyond the idle timeout is an idle timeout too", async () => {
    const client = w.client({ idleTimeout: 300 });
    const error = await rejection(client.chat(`${TASK} [[fault:slow-first-byte=2000]]`).finalText());
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("idle");
  });

  it("the total timeout covers the whole call, continues included", async () => {
    w.emulator.setFaults("silence=250");
    const error = await rejection(w.client({ timeout: 800 }).chat(TASK).finalText());
    expect(error).toBeInstanceOf(APITimeoutError);
    expect((error as APITimeoutError).kind).toBe("total");
    await until(() => w.emulator.stats.chatStreams.aborted === 1);
  });

  it("an AbortSignal aborts the request; the server sees the stream aborted", async () => {
    w.emulator.setFaults("silence=200");
    const controller = new AbortController();
    const stream = w.client().chat(TASK, { signal: controller.signal });
    const error = await rejection(
      (async () => {
        for await (const _event of stream) if (stream.turns === 2) controller.abort();
      })(),
    );
    expect(error).toBeInstanceOf(APIUserAbortError);
    await until(() => w.emulator.stats.chatStreams.aborted === 1);
  });

  it("an already aborted signal sends nothing", async () => {
    const error = await rejection(w.client().chat(TASK, { signal: AbortSignal.abort() }).finalText());
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(w.emulator.stats.totalRequests).toBe(0);
  });

  it("breaking out of for-await aborts the HTTP request at once", async () => {
    w.emulator.setFaults("silence=300");
    const stream = w.client().chat(TASK);
    for await (const _event of stream) if (stream.turns === 2) break;
    await until(() => w.emulator.stats.chatStreams.aborted === 1);
    expect(w.emulator.stats.chatStreams.completed).toBe(1);
    expect(w.emulator.stats.requests.chat).toBe(2);
  });

  it("stream.abort() ends the iteration with APIUserAbortError", async () => {
    w.emulator.setFaults("silence=300");
    const stream = w.client().chat(TASK);
    const error = await rejection(
      (async () => {
        for await (const _event of stream) if (stream.turns === 2) stream.abort();
      })(),
    );
    expect(error).toBeInstanceOf(APIUserAbortError);
    await until(() => w.emulator.stats.chatStreams.aborted === 1);
  });
});
