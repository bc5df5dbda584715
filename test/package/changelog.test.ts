import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { releaseChangelog } from "../../scripts/changelog.mjs";

const changelog = readFileSync(new URL("../../CHANGELOG.md", import.meta.url), "utf8");

describe("CHANGELOG.md", () => {
  it("has an Unreleased section at the top, in the Keep a Changelog format", () => {
    expect(changelog).toMatch(/^# Changelog\n/);
    const versions = [...changelog.matchAll(/^## \[([^\]]+)\]/gm)].map((match) => match[1]);
    expect(versions[0]).toBe("Unreleased");
    for (const version of versions.slice(1)) expect(version).toMatch(/^\d+\.\d+\.\d+/);
    for (const version of versions) expect(changelog).toContain(`\n[${version}]: https://`);
  });

  it("releases the Unreleased entries as the new version, leaving an empty Unreleased section", () => {
    const released = releaseChangelog(changelog, "0.2.0", "2026-12-01");
    const unreleased = released.indexOf("## [Unreleased]");
    const section = released.indexOf("## [0.2.0] - 2026-12-01");
    expect(unreleased).toBeGreaterThan(0);
    expect(released.slice(unreleased, section)).toBe("## [Unreleased]\n\n");
    expect(released.indexOf("## [0.1.0]")).toBeGreaterThan(section);
    expect(released).toContain(
      "[Unreleased]: https://github.com/robocoders/robocoders/compare/v0.2.0...HEAD",
    );
    expect(released).toContain("[0.2.0]: https://github.com/robocoders/robocoders/compare/v0.1.0...v0.2.0");
    expect(() => releaseChangelog(released, "0.2.0", "2026-12-02")).toThrow(/already has a section/);
    expect(() => releaseChangelog("# Changelog\n", "0.2.0", "2026-12-02")).toThrow(/no '## \[Unreleased\]'/);
  });
});
