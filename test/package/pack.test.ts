// The package as a user gets it: `npm pack`, installed from the tarball into an empty project with
// `--omit=dev`, then the CLI run and every subpath of `exports` imported. dist/ is built by `pretest`.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRecordingModules } from "../support.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

interface PackageJson {
  version: string;
  scripts: Record<string, string>;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
}

/**
 * The most `npm install --omit=dev` of the tarball may put into node_modules, in bytes (the sum of the file
 * sizes, which unlike `du` does not depend on the file system). 25.4 MB in December 2026, 30.7 MB before
 * highlight.js was bundled (docs/development.md has the figures per package): a dependency that grows the
 * install by more than a little fails here, and is then either worth it (raise the bound, record the new
 * figures) or not.
 */
const MAX_INSTALL_BYTES = 27_000_000;

/**
 * Packages that serve one surface only (the MCP server, the Redis store, terminal highlighting) and must
 * not be loaded by anything else: the root entry, the gateway, the CLI's help.
 */
const LOADED_ON_DEMAND = ["@modelcontextprotocol/sdk", "zod", "ajv", "ioredis", "lowlight", "highlight.js"];

/** The apparent size of a file tree in bytes, and of each package in node_modules on the way. */
async function treeSize(path: string, packages: Map<string, number>, name?: string): Promise<number> {
  const info = await lstat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path)) {
    if (entry === "node_modules") {
      for (const dependency of await readdir(join(path, entry))) {
        const names = dependency.startsWith("@")
          ? (await readdir(join(path, entry, dependency))).map((scoped) => `${dependency}/${scoped}`)
          : [dependency];
        for (const nested of names) {
          total += await treeSize(join(path, entry, nested), packages, nested);
        }
      }
    } else {
      total += await treeSize(join(path, entry), packages);
    }
  }
  if (name !== undefined) packages.set(name, (packages.get(name) ?? 0) + total);
  return total;
}

/** The packages (from node_modules) that Node loads for `node <args>` in `cwd`, by name. */
async function packagesLoaded(args: string[], cwd: string): Promise<string[]> {
  const { status, stderr, loaded } = await runRecordingModules(args, { ...process.env, NO_COLOR: "1" }, cwd);
  expect(status, stderr).toBe(0);
  const names = loaded
    .split("\n")
    .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
    .filter((name) => name !== undefined);
  return [...new Set(names)].sort();
}

/** The environment of `npm test` without the lifecycle variables npm sets for this package. */
function npmEnv(): NodeJS.ProcessEnv {
  const keep = new Set([
    "npm_config_cache",
    "npm_config_userconfig",
    "npm_config_globalconfig",
    "npm_config_registry",
  ]);
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.toLowerCase().startsWith("npm_") || keep.has(key.toLowerCase()),
    ),
  );
}

describe("the packed package, installed with --omit=dev", () => {
  let tmp: string;
  let project: string;
  let files: string[];
  let installed: string;
  const pkg = (async () => JSON.parse(await readFile(join(root, "package.json"), "utf8")) as PackageJson)();

  beforeAll(async () => {
    expect(existsSync(join(root, "dist/index.js")), "dist/ is missing: run `npm run build`").toBe(true);
    tmp = await mkdtemp(join(tmpdir(), "robocoders-pack-"));
    const env = npmEnv();
    // --ignore-scripts: `prepare` would build dist/ a second time.
    const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
      cwd: root,
      env,
    });
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    files = info.files.map((file) => file.path);
    project = join(tmp, "consumer");
    await mkdir(project);
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    await run(
      "npm",
      ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", join(tmp, info.filename)],
      { cwd: project, env },
    );
    installed = join(project, "node_modules/robocoders");
  }, 120_000);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it("ships the build, the licence and the docs, and no sources, tests or source maps", () => {
    for (const file of [
      "package.json",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
      "dist/index.js",
      "dist/index.d.ts",
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((file) => /\.map$|\.test\.|^src\/|^test\/|^bench\//.test(file))).toEqual([]);
  });

  it("builds dist/ when installed from git (a `prepare` script)", async () => {
    const { scripts } = await pkg;
    expect(scripts.prepare).toBe("npm run build");
  });

  it("has every file that package.json points at", async () => {
    const { bin, exports } = await pkg;
    const targets = [
      ...Object.values(bin),
      ...Object.values(exports).flatMap((entry) =>
        typeof entry === "string" ? [entry] : Object.values(entry),
      ),
    ];
    for (const target of targets) expect(existsSync(join(installed, target)), target).toBe(true);
  });

  it("installs no development dependency", async () => {
    const { devDependencies, dependencies } = await pkg;
    // What the production dependencies need (a development dependency may also be one of those).
    const needed = new Set<string>();
    const queue = Object.keys(dependencies);
    while (queue.length > 0) {
      const name = queue.pop() as string;
      if (needed.has(name)) continue;
      needed.add(name);
      const manifest = join(project, "node_modules", name, "package.json");
      if (!existsSync(manifest)) continue;
      const deps = (JSON.parse(readFileSync(manifest, "utf8")) as { dependencies?: Record<string, string> })
        .dependencies;
      queue.push(...Object.keys(deps ?? {}));
    }
    for (const name of Object.keys(devDependencies)) {
      if (needed.has(name)) continue;
      expect(existsSync(join(project, "node_modules", name)), name).toBe(false);
    }
  });

  it("runs the CLI: --version and --help", async () => {
    const { version } = await pkg;
    const bin = join(project, "node_modules/.bin/robocoders");
    expect((await run(bin, ["--version"], { cwd: project })).stdout.trim()).toBe(version);
    const help = await run(bin, ["--help"], { cwd: project });
    expect(help.stdout).toContain("Usage: robocoders");
    expect(help.stdout).toContain("chat");
  });

  // Each subpath loaded in a child process, which prints its number of exports.
  const loaders: [string, string[], (specifier: string) => string][] = [
    ["imports every subpath of exports", ["--input-type=module"], (s) => `await import(${s})`],
    [
      "requires every subpath from CommonJS",
      ["--input-type=commonjs", "--no-warnings"],
      (s) => `require(${s})`,
    ],
  ];
  for (const [title, flags, load] of loaders) {
    it(title, async () => {
      const { exports } = await pkg;
      const subpaths = Object.keys(exports).filter((subpath) => subpath !== "./package.json");
      expect(subpaths).toContain(".");
      const specifiers = subpaths.map((subpath) =>
        subpath === "." ? "robocoders" : `robocoders/${subpath.slice(2)}`,
      );
      const script = specifiers
        .map((s) => `console.log(${JSON.stringify(s)}, Object.keys(${load(JSON.stringify(s))}).length);`)
        .join("\n");
      const { stdout } = await run(process.execPath, [...flags, "-e", script], { cwd: project });
      const counts = stdout
        .trim()
        .split("\n")
        .map((line) => line.split(" "));
      expect(counts.map(([specifier]) => specifier)).toEqual(specifiers);
      for (const [specifier, count] of counts) expect(Number(count), specifier).toBeGreaterThan(0);
    });
  }

  it(`installs at most ${MAX_INSTALL_BYTES / 1e6} MB`, async () => {
    const packages = new Map<string, number>();
    const total = await treeSize(join(project, "node_modules"), packages);
    const largest = [...packages]
      .sort(([, a], [, b]) => b - a)
      .slice(0, 12)
      .map(([name, bytes]) => `${name} ${(bytes / 1e6).toFixed(2)} MB`)
      .join(", ");
    expect(total, `${(total / 1e6).toFixed(1)} MB installed; largest: ${largest}`).toBeLessThanOrEqual(
      MAX_INSTALL_BYTES,
    );
  });

  it("highlights code in the terminal without lowlight or highlight.js installed", async () => {
    expect(existsSync(join(project, "node_modules/highlight.js"))).toBe(false);
    expect(existsSync(join(project, "node_modules/lowlight"))).toBe(false);
    const module = pathToFileURL(join(installed, "dist/cli/highlight.js")).href;
    const script = `
      const { highlight } = await import(${JSON.stringify(module)});
      const tag = (name) => (text) => "<" + name + ">" + text + "</>";
      const palette = Object.fromEntries(["bold", "dim", "red", "green", "yellow", "blue", "magenta", "cyan"].map((name) => [name, tag(name)]));
      console.log(highlight('const answer: number = 42; // the answer', "ts", palette));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: project });
    expect(stdout.trim()).toBe(
      "<magenta>const</> <cyan>answer</>: <cyan>number</> = <yellow>42</>; <dim>// the answer</>",
    );
  });

  it("loads the MCP SDK, ioredis and the grammars only for the surfaces that use them", async () => {
    const bin = join(installed, "dist/cli/main.js");
    const runs: [string, string[]][] = [
      ["robocoders", ["--input-type=module", "-e", 'await import("robocoders")']],
      ["robocoders/server", ["--input-type=module", "-e", 'await import("robocoders/server")']],
      ["robocoders --help", [bin, "--help"]],
      ["robocoders mcp --help", [bin, "mcp", "--help"]],
    ];
    for (const [label, args] of runs) {
      const loaded = await packagesLoaded(args, project);
      expect(loaded.length, `${label} loaded nothing: is the hook working?`).toBeGreaterThan(0);
      expect(
        loaded.filter((name) => LOADED_ON_DEMAND.includes(name)),
        label,
      ).toEqual([]);
    }
    const mcp = await packagesLoaded(
      ["--input-type=module", "-e", 'await import("robocoders/mcp")'],
      project,
    );
    expect(mcp).toEqual(expect.arrayContaining(["@modelcontextprotocol/sdk", "zod"]));
  });
});
