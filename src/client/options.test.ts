import { describe, expect, it } from "vitest";
import { InvalidArgumentError, ModelNotSupportedError } from "../core/errors.js";
import { resolveAgent } from "./agents.js";
import { resolveOptions } from "./options.js";

describe("resolveOptions", () => {
  it("applies defaults", () => {
    const options = resolveOptions({}, { ROBOCODERS_CACHE_DIR: "/tmp/rc" });
    expect(options).toMatchObject({
      baseURL: "https://api.robocoders.ai",
      accessToken: undefined,
      cacheDir: "/tmp/rc",
      proxy: { kind: "none" },
      timeout: 600_000,
      idleTimeout: 600_000,
      maxRetries: 2,
      maxContinues: 1,
      logLevel: "off",
    });
  });

  it("lets options win over the environment", () => {
    const env = {
      ROBOCODERS_BASE_URL: "http://env.example/",
      ROBOCODERS_ACCESS_TOKEN: "env-token",
      ROBOCODERS_PROXY: "http://env-proxy:3128",
      ROBOCODERS_LOG: "DEBUG",
    };
    expect(resolveOptions({}, env)).toMatchObject({
      baseURL: "http://env.example",
      accessToken: { token: "env-token", source: "env" },
      proxy: { kind: "url", url: "http://env-proxy:3128" },
      logLevel: "debug",
    });
    expect(
      resolveOptions(
        {
          baseURL: "http://opt.example",
          accessToken: "opt",
          proxy: false,
          logLevel: "warn",
          cacheDir: false,
        },
        env,
      ),
    ).toMatchObject({
      baseURL: "http://opt.example",
      accessToken: { token: "opt", source: "option" },
      proxy: { kind: "none" },
      logLevel: "warn",
      cacheDir: undefined,
    });
    expect(resolveOptions({}, { HTTPS_PROXY: "http://p:1" }).proxy).toEqual({ kind: "env" });
  });

  it("rejects bad values with a clear error", () => {
    expect(() => resolveOptions({ baseURL: "not a url" }, {})).toThrow(InvalidArgumentError);
    expect(() => resolveOptions({ baseURL: "ftp://x" }, {})).toThrow(/http/);
    expect(() => resolveOptions({ timeout: 0 }, {})).toThrow(/timeout/);
    expect(() => resolveOptions({ maxRetries: 1.5 }, {})).toThrow(/maxRetries/);
    expect(() => resolveOptions({ proxy: "socks5://x" }, {})).toThrow(/proxy/);
  });

  it("names a base URL or proxy that is not an http(s) URL, never showing a password", () => {
    expect(() => resolveOptions({ baseURL: "htp://api.example" }, {})).toThrow(
      'The base URL "htp://api.example" is not a valid http(s) URL: it must start with http:// or https://',
    );
    expect(() => resolveOptions({ baseURL: "api.example" }, {})).toThrow(
      'The base URL "api.example" is not a valid http(s) URL',
    );
    const thrown = (value: string) => {
      try {
        resolveOptions({ proxy: value }, {});
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    };
    expect(thrown("socks5://user:s3cret@proxy.example:1080")).toBe(
      'The proxy URL "socks5://user:***@proxy.example:1080" is not a valid http(s) URL: it must start with http:// or https://, e.g. http://proxy.example:3128',
    );
    expect(thrown("user:s3cret@proxy.example")).not.toContain("s3cret");
    expect(thrown("htp://user:s3cret@[bad")).not.toContain("s3cret");
  });
});

describe("resolveAgent", () => {
  it("resolves names, aliases and case, and rejects the rest", () => {
    expect(resolveAgent(undefined)).toBe("GeneralCodingAgent");
    expect(resolveAgent(" ")).toBe("GeneralCodingAgent");
    expect(resolveAgent("FrontEndAgent")).toBe("FrontEndAgent");
    expect(resolveAgent("frontendagent")).toBe("FrontEndAgent");
    expect(resolveAgent("repo")).toBe("RepoAgent");
    expect(() => resolveAgent("constructor")).toThrow(ModelNotSupportedError);
    expect(() => resolveAgent("TaskPlannerAgent")).toThrow(ModelNotSupportedError);
  });
});
