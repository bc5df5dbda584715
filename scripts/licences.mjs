/**
 * The licences of the packages a bundle took code from, for the comment at the top of what ships bundled
 * (the web page's script, the terminal's grammars): their MIT and BSD terms ask that the notice travels
 * with every copy.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * A `/*! … *\/` comment with the name, version, licence and licence text of every package in `metafile`'s
 * inputs (an esbuild metafile), in order of first use.
 * @param {import("esbuild").Metafile} metafile
 * @param {string} root the folder esbuild resolved from (the inputs' paths are relative to it)
 * @returns {Promise<string>}
 */
export async function licenceComment(metafile, root) {
  const packages = [
    ...new Set(
      Object.keys(metafile.inputs)
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
  return `/*!\n * Bundled from the packages below.\n\n${notices.join("\n\n").replaceAll("*/", "* /")}\n */\n`;
}
