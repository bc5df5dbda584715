import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createProxy } from "proxy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { APIConnectionError } from "../../src/core/errors.js";
import { referenceOutput, rejection, useWorld } from "./helpers.js";

const w = useWorld();
let proxy: Server;
let proxyURL: string;
/** Every tunnel (`CONNECT host:port`) or forwarded request (`GET http://...`) the proxy handled. */
let seen: string[];

beforeEach(async () => {
  seen = [];
  proxy = createProxy(createServer());
  proxy.on("connect", (req: { url?: string }) => seen.push(`CONNECT ${req.url}`));
  proxy.on("request", (req: { method?: string; url?: string }) => seen.push(`${req.method} ${req.url}`));
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyURL = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterEach(async () => {
  proxy.closeAllConnections();
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
});

const emulatorHost = () => new URL(w.emulator.url).host;

describe("proxy", () => {
  it("sends /auth through the proxy (the first request of a cold client)", async () => {
    await w.client({ proxy: proxyURL }).getAccessToken();
    expect(w.emulator.stats.requests.auth).toBe(1);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((entry) => entry.includes(emulatorHost()))).toBe(true);
  });

  it("sends a whole chat through the proxy with unchanged text", async () => {
    const client = w.client({ proxy: proxyURL });
    const text = await client.chat("Write a Python script that adds two numbers").finalText();
    expect(text).toBe(referenceOutput(w.emulator));
    expect(seen.length).toBeGreaterThan(0);
  });

  it("really depends on the proxy: a dead proxy is a connection error", async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const { port } = dead.address() as AddressInfo;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const error = await rejection(
      w.client({ proxy: `http://127.0.0.1:${port}`, maxRetries: 0 }).getAccessToken(),
    );
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(w.emulator.stats.totalRequests).toBe(0);
  });

  it("reads ROBOCODERS_PROXY", async () => {
    process.env.ROBOCODERS_PROXY = proxyURL;
    await w.client().getAccessToken();
    expect(seen.length).toBeGreaterThan(0);
  });

  it("reads HTTP_PROXY and honours NO_PROXY", async () => {
    process.env.HTTP_PROXY = proxyURL;
    await w.client({ cacheDir: false }).getAccessToken();
    expect(seen.length).toBeGreaterThan(0);
    seen = [];
    process.env.NO_PROXY = "127.0.0.1";
    await w.client({ cacheDir: false }).getAccessToken();
    expect(seen).toEqual([]);
    expect(w.emulator.stats.requests.auth).toBe(2);
  });

  it("proxy: false ignores the environment", async () => {
    process.env.ROBOCODERS_PROXY = proxyURL;
    await w.client({ proxy: false }).getAccessToken();
    expect(seen).toEqual([]);
  });
});
