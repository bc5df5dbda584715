import { describe, expect, it } from "vitest";
import { checkAdminBody, checkAdminRequest, hostName, isJsonContentType } from "./admin-guard.js";

describe("hostName", () => {
  it.each([
    ["127.0.0.1:8787", "127.0.0.1"],
    ["LOCALHOST", "localhost"],
    ["[::1]:80", "[::1]"],
    ["[::1]", "[::1]"],
    ["example.com", "example.com"],
  ])("%j → %j", (host, name) => {
    expect(hostName(host)).toBe(name);
  });

  it.each(["", "a b", "user@127.0.0.1", "127.0.0.1:port", "[::1", "127.0.0.1:8787/x"])(
    "rejects %j",
    (host) => {
      expect(hostName(host)).toBeUndefined();
    },
  );
});

describe("checkAdminRequest", () => {
  const loopback = { loopback: true };

  it("lets a plain loopback request through", () => {
    expect(checkAdminRequest({ host: "127.0.0.1:1" }, loopback)).toBeUndefined();
    expect(checkAdminRequest({ host: "app.localhost:1" }, loopback)).toBeUndefined();
  });

  it("refuses a missing Host on loopback", () => {
    expect(checkAdminRequest({}, loopback)?.status).toBe(403);
  });

  it("skips the Host check off loopback, where the token guards", () => {
    const settings = { loopback: false, token: "t0k" };
    expect(
      checkAdminRequest({ host: "build-box:8787", authorization: "Bearer t0k" }, settings),
    ).toBeUndefined();
    expect(checkAdminRequest({ host: "build-box:8787" }, settings)?.status).toBe(401);
    expect(checkAdminRequest({ host: "build-box:8787", authorization: "Basic t0k" }, settings)?.status).toBe(
      401,
    );
  });

  it("compares the Origin with the Host, case-insensitively", () => {
    expect(
      checkAdminRequest({ host: "127.0.0.1:1", origin: "HTTP://127.0.0.1:1" }, loopback),
    ).toBeUndefined();
    expect(checkAdminRequest({ host: "127.0.0.1:1", origin: "https://127.0.0.1:1" }, loopback)?.status).toBe(
      403,
    );
    expect(checkAdminRequest({ host: "127.0.0.1:1", origin: "http://127.0.0.1:2" }, loopback)?.status).toBe(
      403,
    );
  });

  it("lets sec-fetch-site none and same-origin through", () => {
    for (const site of ["none", "same-origin"]) {
      expect(checkAdminRequest({ host: "127.0.0.1:1", "sec-fetch-site": site }, loopback)).toBeUndefined();
    }
  });
});

describe("checkAdminBody", () => {
  it("wants JSON when there is a body or a content-type", () => {
    expect(checkAdminBody({}, "")).toBeUndefined();
    expect(checkAdminBody({ "content-type": "application/json; charset=utf-8" }, "{}")).toBeUndefined();
    expect(checkAdminBody({}, "{}")?.status).toBe(415);
    expect(checkAdminBody({ "content-type": "text/plain" }, "")?.status).toBe(415);
    expect(isJsonContentType("application/json-patch+json")).toBe(false);
  });
});
