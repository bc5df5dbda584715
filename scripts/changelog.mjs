// Used by `npm version` (the "version" script): turns the Unreleased section of CHANGELOG.md into a
// section for the new version, dated today, and leaves an empty Unreleased section above it.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REPO = "https://github.com/robocoders/robocoders";

/**
 * Returns the changelog with its Unreleased entries released as `version` on `date` (YYYY-MM-DD).
 * @param {string} text
 * @param {string} version
 * @param {string} date
 * @returns {string}
 */
export function releaseChangelog(text, version, date) {
  const heading = "## [Unreleased]";
  const at = text.indexOf(heading);
  if (at < 0) throw new Error("CHANGELOG.md has no '## [Unreleased]' section");
  if (text.includes(`## [${version}]`)) throw new Error(`CHANGELOG.md already has a section for ${version}`);
  const previous = /^## \[(\d+\.\d+\.\d+[^\]]*)\]/m.exec(text.slice(at + heading.length))?.[1];
  let out = `${text.slice(0, at)}${heading}\n\n## [${version}] - ${date}${text.slice(at + heading.length)}`;
  const unreleasedLink = /^\[Unreleased\]: .*$/m;
  const links = `[Unreleased]: ${REPO}/compare/v${version}...HEAD\n[${version}]: ${
    previous ? `${REPO}/compare/v${previous}...v${version}` : `${REPO}/releases/tag/v${version}`
  }`;
  out = unreleasedLink.test(out) ? out.replace(unreleasedLink, links) : `${out.trimEnd()}\n\n${links}\n`;
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = new URL("../CHANGELOG.md", import.meta.url);
  const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  const date = new Date().toISOString().slice(0, 10);
  writeFileSync(file, releaseChangelog(readFileSync(file, "utf8"), version, date));
  console.log(`CHANGELOG.md: Unreleased released as ${version} (${date})`);
}
