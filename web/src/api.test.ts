import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser } from "./api.js";

describe("SseParser", () => {
  it("reads frames, comments, multi-line data and every line ending", () => {
    const parser = new SseParser();
    const frames = parser.push(
      ': hi\r\nid: 1\r\nevent: prompt\r\ndata: {"a":1}\r\n\r\nid: 2\rdata: x\rdata: y\r\r\n',
    );
    expect(frames).toEqual([
      { id: "1", event: "prompt", data: '{"a":1}' },
      { id: "2", event: "message", data: "x\ny" },
    ]);
  });

  it("gives the same frames however the text is split", () => {
    const text = 'id: 7\nevent: event\ndata: {"x":"é😀"}\n\n: keep-alive\n\nevent: idle\r\ndata: {}\r\n\r\n';
    const whole = new SseParser().push(text);
    fc.assert(
      fc.property(fc.array(fc.nat(text.length), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const parser = new SseParser();
        const frames = [];
        let last = 0;
        for (const point of [...points, text.length]) {
          frames.push(...parser.push(text.slice(last, point)));
          last = point;
        }
        expect(frames).toEqual(whole);
      }),
    );
    expect(whole.map((f) => f.event)).toEqual(["event", "idle"]);
  });
});
