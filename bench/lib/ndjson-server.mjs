/**
 * A tiny loopback server for the decoding benchmark: `POST /chat` answers with a pre-generated event
 * stream whose size (in bytes) is the prompt, e.g. `{"prompt": "33554432"}`, written in 64 KiB chunks
 * with back-pressure. `GET /auth` and `GET /create-session` answer like the service, so a client that
 * wants credentials gets them. The body is built from one repeated ~1 MiB block of realistic events, so
 * the server itself costs next to no CPU and memory.
 */
import { createServer } from "node:http";
import { eventBlock, finishLine } from "./events.mjs";

const CHUNK = 64 * 1024;

/** A syntactically valid HS256 JWT (not verified by anyone) that expires in an hour. */
export function fakeJwt() {
  const b64 = (/** @type {object} */ o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub: "5b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d", exp })}.${Buffer.alloc(32, 7).toString("base64url")}`;
}

/**
 * Plans a stream of about `size` bytes: how many repetitions of the block, its exact length and the
 * length of the text the reference rule yields from it.
 * @param {import("./events.mjs").Block} block
 * @param {number} size
 */
export function planStream(block, size) {
  const fin = finishLine();
  const reps = Math.max(1, Math.round(size / block.buffer.length));
  return {
    reps,
    finish: fin.buffer,
    bytes: reps * block.buffer.length + fin.buffer.length,
    textLength: reps * block.textLength + fin.textLength,
  };
}

/** Starts the server on 127.0.0.1, port 0. Resolves to `{url, block, close()}`. */
export async function startNdjsonServer() {
  const block = eventBlock(1 << 20, 42);
  const token = fakeJwt();
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const url = new URL(req.url ?? "/", "http://x");
    if (req.method === "GET" && url.pathname === "/auth") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end(`<html><body><pre id="token">\n ${token} \n</pre></body></html>`);
      return;
    }
    if (req.method === "GET" && url.pathname === "/create-session") {
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ sid: crypto.randomUUID() }));
      return;
    }
    if (req.method !== "POST" || url.pathname !== "/chat") {
      res.writeHead(404, { "content-type": "application/json" }).end('{"detail": "Not Found"}');
      return;
    }
    let size = 1 << 20;
    try {
      size = Number(JSON.parse(Buffer.concat(chunks).toString("utf8")).prompt) || size;
    } catch {
      // keep the default size
    }
    const plan = planStream(block, size);
    res.writeHead(200, { "content-type": "application/json" });
    let closed = false;
    res.on("close", () => {
      closed = true;
    });
    for (let i = 0; i < plan.reps && !closed; i++) {
      for (let off = 0; off < block.buffer.length && !closed; off += CHUNK) {
        if (!res.write(block.buffer.subarray(off, off + CHUNK))) {
          await new Promise(
            /** @param {(value: void) => void} resolve */ (resolve) => {
              const done = () => {
                res.off("drain", done);
                res.off("close", done);
                resolve();
              };
              res.on("drain", done);
              res.on("close", done);
            },
          );
        }
      }
    }
    if (!closed) res.end(plan.finish);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return {
    url,
    token,
    block,
    close: () =>
      new Promise(
        /** @param {(value: void) => void} resolve */ (resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        },
      ),
  };
}
