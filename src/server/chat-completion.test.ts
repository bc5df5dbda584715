import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TextJoiner } from "./chat-completion.js";

const join = (mode: "separated" | "reference", pieces: string[]) => {
  const joiner = new TextJoiner(mode);
  return pieces.map((p) => joiner.next(p)).join("");
};

describe("TextJoiner", () => {
  it("joins agent messages with a blank line, adding only what is missing", () => {
    expect(join("separated", ["go with that 🙂", "I'm asking"])).toBe("go with that 🙂\n\nI'm asking");
    expect(join("separated", ["a\n", "b"])).toBe("a\n\nb");
    expect(join("separated", ["a\n\n", "b"])).toBe("a\n\nb");
    expect(join("separated", ["a", "\n", "b"])).toBe("a\n\n\nb");
    expect(join("separated", ["only"])).toBe("only");
  });

  it("keeps the reference text byte for byte (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (pieces) => {
        expect(join("reference", pieces)).toBe(pieces.join(""));
      }),
    );
  });

  it("never loses or reorders text, and puts at least a blank line between pieces (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 6 }), (pieces) => {
        const joiner = new TextJoiner("separated");
        let out = "";
        pieces.forEach((piece, i) => {
          const added = joiner.next(piece);
          expect(added.endsWith(piece)).toBe(true);
          const separator = added.slice(0, added.length - piece.length);
          expect(separator).toMatch(/^\n{0,2}$/);
          if (i > 0 && !out.endsWith("\n\n")) expect(`${out}${separator}`.endsWith("\n\n")).toBe(true);
          out += added;
        });
      }),
    );
  });
});
