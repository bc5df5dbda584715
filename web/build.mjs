/**
 * Builds the web workspace page into dist/web: one bundled script and one stylesheet with content hashes
 * in their names (served as immutable), and index.html referencing them (served as no-cache). The script
 * starts with the licences of the packages bundled into it (scripts/licences.mjs).
 * Usage: node web/build.mjs [--dev]  (--dev: no minification, source maps)
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { licenceComment } from "../scripts/licences.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const out = join(root, "dist", "web");
const dev = process.argv.includes("--dev");

await rm(out, { recursive: true, force: true });
await mkdir(join(out, "assets"), { recursive: true });

const options = /** @type {const} */ ({
  entryPoints: { app: join(here, "src", "main.tsx") },
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  target: ["chrome115", "firefox115", "safari16"],
  minify: !dev,
  sourcemap: dev ? "linked" : false,
  outdir: join(out, "assets"),
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  jsx: "automatic",
  jsxImportSource: "preact",
  metafile: true,
  legalComments: "none",
  charset: "utf8",
  logLevel: "warning",
  define: { "process.env.NODE_ENV": dev ? '"development"' : '"production"' },
});
// The bundled packages' licences go at the top of the script; which packages it takes comes from a first
// pass that writes nothing.
const { metafile } = await build({ ...options, minify: false, write: false });
const result = await build({ ...options, banner: { js: await licenceComment(metafile, root) } });

const outputs = Object.keys(result.metafile.outputs).map((path) => path.split("/").pop() ?? path);
const script = outputs.find((name) => /^app-.*\.js$/.test(name));
const style = outputs.find((name) => /^app-.*\.css$/.test(name));
if (script === undefined || style === undefined)
  throw new Error(`unexpected build outputs: ${outputs.join(", ")}`);

const template = await readFile(join(here, "index.html"), "utf8");
const html = template.replace("%SCRIPT%", `/assets/${script}`).replace("%STYLE%", `/assets/${style}`);
await writeFile(join(out, "index.html"), html);
if (!process.argv.includes("--quiet")) console.log(`web page built: dist/web (${script}, ${style})`);
