import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** The modules `src/workspace/index.ts` loads, followed through relative imports. */
function closure(entry: URL): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (url: URL) => {
    if (seen.has(url.href)) return;
    const source = readFileSync(url, "utf8");
    seen.set(url.href, source);
    for (const match of source.matchAll(/^(?:import|export)[^;]*?from "([^"]+)";/gms)) {
      const specifier = match[1] ?? "";
      if (specifier.startsWith(".")) visit(new URL(specifier.replace(/\.js$/, ".ts"), url));
    }
  };
  visit(entry);
  return seen;
}

describe("the workspace model is browser-safe", () => {
  it("loads no node: module and no package but diff", () => {
    const modules = closure(new URL("./index.ts", import.meta.url));
    expect([...modules.keys()].some((href) => href.endsWith("/tracker.ts"))).toBe(true);
    expect([...modules.keys()].some((href) => href.endsWith("/write-files.ts"))).toBe(false);
    for (const [href, source] of modules) {
      const packages = [...source.matchAll(/from "([^".][^"]*)"/g)].map((m) => m[1]);
      expect(
        packages.filter((p) => p !== "diff"),
        href,
      ).toEqual([]);
      expect(source, href).not.toMatch(/\b(?:Buffer|process)\./);
    }
  });
});
