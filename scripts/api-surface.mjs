// The public API of every entry point of the package: the names each subpath of `exports` exports, with
// their kinds, read from the built declaration files (dist/**/*.d.ts) with the TypeScript compiler.
//
//   node scripts/api-surface.mjs            prints the surface
//   node scripts/api-surface.mjs --update   writes it to test/api-surface.json (review the diff)
//
// test/package/api-surface.test.ts fails when the built surface differs from test/api-surface.json.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SNAPSHOT = join(ROOT, "test/api-surface.json");

/** @type {[number, string][]} */
const KINDS = [
  [ts.SymbolFlags.Class, "class"],
  [ts.SymbolFlags.Function, "function"],
  [ts.SymbolFlags.Variable, "const"],
  [ts.SymbolFlags.Enum, "enum"],
  [ts.SymbolFlags.Interface, "interface"],
  [ts.SymbolFlags.TypeAlias, "type"],
  [ts.SymbolFlags.Module, "namespace"],
];

/**
 * The subpaths of package.json's `exports` (without ./package.json) as import specifiers, with the
 * declaration file of each.
 * @param {string} root
 * @returns {[string, string][]}
 */
export function entryPoints(root = ROOT) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  /** @type {[string, string][]} */
  const out = [];
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === "./package.json") continue;
    const types = typeof target === "string" ? target.replace(/\.js$/, ".d.ts") : target.types;
    out.push([subpath === "." ? pkg.name : `${pkg.name}/${subpath.slice(2)}`, join(root, types)]);
  }
  return out;
}

/**
 * The exported names of every entry point, each as "name: kind" (kinds joined with "+" when a name is,
 * say, both a value and a type), sorted; and the compiler's diagnostics of the declaration files, so a
 * declaration that refers to something stripped or missing is reported.
 * @param {string} root
 * @returns {{ surface: Record<string, string[]>, diagnostics: string[] }}
 */
export function apiSurface(root = ROOT) {
  const entries = entryPoints(root);
  const program = ts.createProgram(
    entries.map(([, file]) => file),
    {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2023,
      lib: ["lib.es2023.d.ts"],
      types: ["node"],
      strict: true,
      noEmit: true,
      skipLibCheck: false,
    },
  );
  const checker = program.getTypeChecker();
  /** @type {Record<string, string[]>} */
  const surface = {};
  for (const [specifier, file] of entries) {
    const source = program.getSourceFile(file);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`${specifier}: no declarations at ${file} (run npm run build)`);
    surface[specifier] = checker
      .getExportsOfModule(module)
      .map((symbol) => {
        const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
        const kinds = KINDS.filter(([flag]) => target.flags & flag).map(([, kind]) => kind);
        return `${symbol.name}: ${kinds.join("+") || "unknown"}`;
      })
      .sort();
  }
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || d.file.fileName.startsWith(join(root, "dist")))
    .map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      return d.file ? `${d.file.fileName.slice(root.length)}: ${text}` : text;
    });
  return { surface, diagnostics };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { surface, diagnostics } = apiSurface();
  for (const line of diagnostics) console.error(`declaration error: ${line}`);
  const text = `${JSON.stringify(surface, null, 2)}\n`;
  if (process.argv.includes("--update")) {
    writeFileSync(SNAPSHOT, text);
    console.log(`wrote ${SNAPSHOT.slice(ROOT.length)}: review it with git diff`);
  } else {
    process.stdout.write(text);
  }
  if (diagnostics.length > 0) process.exitCode = 1;
}
