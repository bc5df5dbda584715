import { readFileSync } from "node:fs";

/** The package version from package.json (two folders up from this file, in `src/` and `dist/`); "0.0.0" if unreadable. */
export function packageVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    if (
      typeof parsed === "object" &&
      parsed !== null &&
      "version" in parsed &&
      typeof parsed.version === "string"
    ) {
      return parsed.version;
    }
  } catch {
    // An unreadable package.json is reported as version 0.0.0 rather than failing the command.
  }
  return "0.0.0";
}
