/**
 * Serving the workspace page: `GET /` (the HTML, never cached) and `GET /assets/<hashed name>` (scripts,
 * styles; cached for a year, immutable), from the folder the page build writes (`dist/web`), with a strict
 * Content-Security-Policy: the page loads and talks to its own origin only.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Hono } from "hono";

/**
 * The default folder of the built page: `dist/web` at the package root (the same path from `src/` and
 * from `dist/`, both two levels below the root).
 */
export const DEFAULT_PAGE_DIR = fileURLToPath(new URL("../../../dist/web/", import.meta.url));

/**
 * The page's Content-Security-Policy: everything from the gateway itself; images may also be `data:`
 * (screenshots in observations) and `blob:`; no inline script, no eval, no framing, no other host.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers of every page response. */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "content-security-policy": PAGE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
});

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
};

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | undefined;
}

function load(path: string): Asset {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? "application/octet-stream";
  const compressible = /^(?:text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  return { type, body, gzip: compressible ? gzipSync(body, { level: 9 }) : undefined };
}

/** The built page, read once into memory. `undefined` when the folder has no `index.html`. */
export function loadPage(dir: string): { index: Asset; assets: Map<string, Asset> } | undefined {
  let index: Asset;
  try {
    index = load(join(dir, "index.html"));
  } catch {
    return undefined;
  }
  const assets = new Map<string, Asset>();
  const assetDir = join(dir, "assets");
  let names: string[] = [];
  try {
    names = readdirSync(assetDir);
  } catch {
    names = [];
  }
  for (const name of names) {
    const path = join(assetDir, name);
    if (statSync(path).isFile()) assets.set(name, load(path));
  }
  return { index, assets };
}

function respond(request: Request, asset: Asset, cacheControl: string): Response {
  const headers: Record<string, string> = {
    ...PAGE_SECURITY_HEADERS,
    "content-type": asset.type,
    "cache-control": cacheControl,
    vary: "accept-encoding",
  };
  const wantsGzip = /\bgzip\b/i.test(request.headers.get("accept-encoding") ?? "");
  const useGzip = asset.gzip !== undefined && wantsGzip;
  const body = useGzip ? asset.gzip! : asset.body;
  if (useGzip) headers["content-encoding"] = "gzip";
  headers["content-length"] = String(body.length);
  return new Response(request.method === "HEAD" ? null : new Uint8Array(body), { status: 200, headers });
}

/** The built page (see {@link loadPage}). */
export type LoadedPage = NonNullable<ReturnType<typeof loadPage>>;

/** The paths the page is served at (`/` and each asset): they need no API key, the page asks for it. */
export function pagePaths(page: LoadedPage | undefined): string[] {
  return ["/", ...[...(page?.assets.keys() ?? [])].map((name) => `/assets/${name}`)];
}

/** `GET /` and `GET /assets/*`, serving the page (`undefined`: not built, 503), as a Hono app to mount at `/`. */
export function pageRoutes(page: LoadedPage | undefined): Hono {
  const target = new Hono();
  target.on(["GET", "HEAD"], "/", (c) => {
    if (page === undefined) {
      return new Response(
        "The web workspace is not built: run `npm run build` in the robocoders package.\n",
        { status: 503, headers: { ...PAGE_SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" } },
      );
    }
    return respond(c.req.raw, page.index, "no-cache");
  });
  target.on(["GET", "HEAD"], "/assets/:name", (c) => {
    const asset = page?.assets.get(c.req.param("name"));
    if (asset === undefined) {
      return new Response("Not found\n", {
        status: 404,
        headers: { ...PAGE_SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" },
      });
    }
    return respond(c.req.raw, asset, "public, max-age=31536000, immutable");
  });
  return target;
}
