import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

// The CLI reads a settings file from the user's config folder: tests (and the CLIs they start) use an
// empty folder of their own instead, so a file on the machine cannot change what they check.
const configDir = join(mkdtempSync(join(tmpdir(), "robocoders-test-config-")), "config");

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    env: { ROBOCODERS_CONFIG_DIR: configDir },
    // The JSON report feeds the summary line printed by .ci/run.
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
