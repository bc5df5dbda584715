import { describe, expect, it } from "vitest";
import { MissingRequirementsError, ModelNotSupportedError } from "../core/errors.js";
import type { Messages } from "../core/messages.js";
import { resolveModel } from "../core/models.js";
import { AsyncGeneratorModelProvider, AsyncGeneratorProvider } from "./base.js";

const catalog = {
  defaultModel: "alpha",
  models: ["alpha", "Beta"],
  modelAliases: { b: "Beta", Fast: "alpha" },
};

describe("resolveModel", () => {
  it("maps empty to the default, names to themselves and aliases to models", () => {
    expect(resolveModel(catalog, "")).toBe("alpha");
    expect(resolveModel(catalog, undefined)).toBe("alpha");
    expect(resolveModel(catalog, "Beta")).toBe("Beta");
    expect(resolveModel(catalog, "b")).toBe("Beta");
    expect(resolveModel(catalog, "beta")).toBe("Beta");
    expect(resolveModel(catalog, "fast")).toBe("alpha");
  });

  it("rejects unknown names, listing the models", () => {
    expect(() => resolveModel(catalog, "gamma", "Test")).toThrow(ModelNotSupportedError);
    expect(() => resolveModel(catalog, "gamma", "Test")).toThrow(
      'Model "gamma" is not supported by Test. Valid models: alpha, Beta',
    );
  });
});

class Echo extends AsyncGeneratorModelProvider {
  static override defaultModel = "echo";
  static override models = ["echo", "shout"];
  static override createAsyncGenerator(model: string, messages: Messages): AsyncGenerator<string> {
    const resolved = Echo.getModel(model);
    return (async function* () {
      for (const message of messages) {
        const text = String(message.content);
        yield resolved === "shout" ? text.toUpperCase() : text;
      }
    })();
  }
}

class Unimplemented extends AsyncGeneratorProvider {}

describe("AsyncGeneratorProvider", () => {
  it("createAsync concatenates the subclass's generator", async () => {
    const messages = [
      { role: "user", content: "a" },
      { role: "user", content: "b" },
    ];
    expect(await Echo.createAsync("", messages)).toBe("ab");
    expect(await Echo.createAsync("shout", messages)).toBe("AB");
    await expect(Echo.createAsync("whisper", messages)).rejects.toThrow(ModelNotSupportedError);
    expect(Echo.supportsStream).toBe(true);
  });

  it("a subclass without createAsyncGenerator says so", async () => {
    await expect(Unimplemented.createAsync("x", [{ role: "user", content: "a" }])).rejects.toThrow(
      MissingRequirementsError,
    );
  });
});
