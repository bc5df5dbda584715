/**
 * Bundles lowlight with highlight.js's core and the common grammars lowlight registers (37 languages) into
 * dist/cli/vendor/lowlight.js, which src/cli/highlight.ts loads in the built package. The published package
 * thus needs neither lowlight nor highlight.js (9 MB installed, nearly all of it grammars, styles and
 * builds that terminal highlighting never loads); both stay development dependencies. The licence of every
 * bundled package is copied to the top of the bundle.
 * Usage: node scripts/bundle-highlight.mjs  (after `tsc`, from `npm run build`)
 */
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli", "vendor", "lowlight.js");

const result = await build({
  stdin: {
    contents: 'export { common, createLowlight } from "lowlight";',
    resolveDir: root,
    sourcefile: "lowlight-entry.js",
  },
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

/** The package folders (…/node_modules/name) the bundle took code from, in order of first use. */
const packages = [
  ...new Set(
    Object.keys(result.metafile.inputs)
      .map((input) => /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)?.[1])
      .filter((dir) => dir !== undefined),
  ),
];
const notices = [];
for (const dir of packages) {
  const { name, version, license } = JSON.parse(await readFile(join(root, dir, "package.json"), "utf8"));
  const file = (await readdir(join(root, dir))).find((entry) => /^licen[cs]e(\.md|\.txt)?$/i.test(entry));
  if (file === undefined) throw new Error(`${name} ships no licence file`);
  const text = (await readFile(join(root, dir, file), "utf8")).trim();
  notices.push(`${name} ${version} (${license})\n\n${text}`);
}
const banner = `/*!\n * Bundled by scripts/bundle-highlight.mjs from the packages below.\n\n${notices.join("\n\n").replaceAll("*/", "* /")}\n */\n`;

const [bundle] = result.outputFiles;
if (bundle === undefined) throw new Error("esbuild wrote no bundle");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, banner + bundle.text);
