/**
 * The smallest useful client, as a start-up reference: one `/chat` request with global fetch, the
 * reference text rule, the text to stdout. Usage: node bench/raw-request.mjs <baseURL> <token> <sid> <prompt>
 */
const [baseURL, token, sid, prompt] = process.argv.slice(2);
const res = await fetch(`${baseURL}/chat`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
  body: JSON.stringify({ sid, prompt, agent: "GeneralCodingAgent" }),
});
let out = "";
for (const line of (await res.text()).split("\n")) {
  if (!line.trim()) continue;
  try {
    const ev = JSON.parse(line);
    const text = ev?.args?.content || ev?.message;
    if (text) out += text;
  } catch {
    // skip
  }
}
process.stdout.write(out);
