/**
 * The plain script the CLI's output path is measured against: global fetch, split the body on "\n",
 * JSON.parse each line, pick `args.content || message`, and one stdout write per network chunk.
 * Usage: node bench/chat-baseline.mjs <baseURL> <token> <sid> <bytes>
 */
const [baseURL, token, sid, bytes] = process.argv.slice(2);
const res = await fetch(`${baseURL}/chat`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  body: JSON.stringify({ sid, prompt: bytes, agent: "GeneralCodingAgent" }),
});
const decoder = new TextDecoder();
let buffer = "";
/** @param {string} line @param {string[]} out */
const pick = (line, out) => {
  if (!line.trim()) return;
  try {
    const ev = JSON.parse(line);
    const text = ev?.args?.content || ev?.message;
    if (text) out.push(text);
  } catch {
    // skip malformed lines, as the reference client does
  }
};
if (res.body === null) throw new Error("no response body");
for await (const chunk of res.body) {
  buffer += decoder.decode(chunk, { stream: true });
  const lines = buffer.split("\n");
  buffer = lines.pop() ?? "";
  /** @type {string[]} */
  const out = [];
  for (const line of lines) pick(line, out);
  if (out.length > 0 && !process.stdout.write(out.join(""))) {
    await new Promise((resolve) => process.stdout.once("drain", resolve));
  }
}
/** @type {string[]} */
const out = [];
pick(buffer + decoder.decode(), out);
if (out.length > 0) process.stdout.write(out.join(""));
