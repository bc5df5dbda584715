import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts", "web/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The JSON report feeds the summary line printed by .ci/run.
    reporters: ["default", "json"],
    outputFile: { json: ".test-results/vitest.json" },
  },
});
