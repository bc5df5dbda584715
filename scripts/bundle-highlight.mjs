/**
 * Bundles lowlight with highlight.js's core and the common grammars lowlight registers (37 languages) into
 * dist/cli/vendor/lowlight.js, which src/cli/highlight.ts loads in the built package. The published package
 * thus needs neither lowlight nor highlight.js (9 MB installed, nearly all of it grammars, styles and
 * builds that terminal highlighting never loads); both stay development dependencies. The licence of every
 * bundled package is copied to the top of the bundle (scripts/licences.mjs).
 * Usage: node scripts/bundle-highlight.mjs  (after `tsc`, from `npm run build`)
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { licenceComment } from "./licences.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli", "vendor", "lowlight.js");

const result = await build({
  stdin: {
    contents: 'export { common, createLowlight } from "lowlight";',
    resolveDir: root,
    sourcefile: "lowlight-entry.js",
  },
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  legalComments: "none",
  metafile: true,
  write: false,
  logLevel: "warning",
});

const banner = await licenceComment(result.metafile, root);
const [bundle] = result.outputFiles;
if (bundle === undefined) throw new Error("esbuild wrote no bundle");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, banner + bundle.text);
