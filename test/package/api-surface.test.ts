// The public API of every entry point, compared with the reviewed snapshot test/api-surface.json.
// After an intended change: `npm run api:update`, then review and commit the diff of the snapshot.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { apiSurface, SNAPSHOT } from "../../scripts/api-surface.mjs";

describe("the public API surface", () => {
  const { surface, diagnostics } = apiSurface();

  it("has declaration files that compile on their own (nothing they use was stripped as @internal)", () => {
    expect(diagnostics).toEqual([]);
  });

  it("is what test/api-surface.json records for every subpath (update: npm run api:update)", () => {
    const snapshot: unknown = JSON.parse(readFileSync(SNAPSHOT, "utf8"));
    expect(surface).toEqual(snapshot);
  });

  it("keeps the client's internals out of the root entry", () => {
    const root = (surface.robocoders ?? []).map((entry) => entry.split(":")[0]);
    for (const name of ["CredentialCache", "RobocodersChatStream", "extractAccessToken", "backoffDelay"]) {
      expect(root).not.toContain(name);
    }
    expect(root).toContain("Robocoders");
    expect(root).toContain("RobocodersAPI");
  });
});
