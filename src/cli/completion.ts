/**
 * Shell completion scripts for `robocoders completion bash|zsh|fish`, generated from the command tree, so
 * they always match the commands and options. Session names and ids (for `--session`, `session use` …)
 * come from `robocoders session list --names` when completing.
 */
import type { Command, Option } from "commander";

/** The shells a completion script is printed for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** A shell of {@link SHELLS}. */
export type Shell = (typeof SHELLS)[number];

/** One command of the tree, as the scripts need it. */
export interface CompletionNode {
  /** The words leading to it: `[]` for the program, `["session", "use"]`. */
  path: string[];
  description: string;
  /** Its options (and, for the program, the global ones). */
  options: Array<{ long?: string; short?: string; takesValue: boolean; description: string }>;
  /** Its subcommands' names. */
  subcommands: string[];
  /** What its positional arguments complete to. */
  argument: "sessions" | "settings" | "shells" | "none";
}

const AGENT_NAMES = ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"];

function argumentKind(path: string[]): CompletionNode["argument"] {
  const key = path.join(" ");
  if (key === "session use" || key === "session name" || key === "session forget") return "sessions";
  if (key === "config get" || key === "config set" || key === "config unset") return "settings";
  if (key === "completion") return "shells";
  return "none";
}

/** The command tree of a commander program, flattened (hidden help commands left out). */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const visit = (command: Command, path: string[]) => {
    const options = command.options
      .filter((o: Option) => !o.hidden)
      .map((o: Option) => ({
        ...(o.long === undefined ? {} : { long: o.long }),
        ...(o.short === undefined ? {} : { short: o.short }),
        takesValue: o.required || o.optional,
        description: o.description,
      }));
    const subcommands = command.commands.filter((c) => c.name() !== "help");
    nodes.push({
      path,
      description: command.description(),
      options,
      subcommands: subcommands.map((c) => c.name()),
      argument: argumentKind(path),
    });
    for (const sub of subcommands) visit(sub, [...path, sub.name()]);
  };
  visit(program, []);
  return nodes;
}

const shellWord = (word: string) => `'${word.replace(/'/g, "'\\''")}'`;

/** The bash script (zsh loads it through `bashcompinit`). */
function bash(name: string, nodes: CompletionNode[]): string {
  const root = nodes.find((n) => n.path.length === 0);
  const globals = root?.options ?? [];
  const valueOptions = new Set<string>();
  for (const node of nodes) {
    for (const o of node.options) {
      if (!o.takesValue) continue;
      if (o.long !== undefined) valueOptions.add(o.long);
      if (o.short !== undefined) valueOptions.add(o.short);
    }
  }
  const paths = nodes.filter((n) => n.path.length > 0).map((n) => n.path.join(" "));
  const words = (node: CompletionNode) => {
    const inherited = node.path.length > 0 ? globals.filter((o) => o.long !== "--version") : [];
    const options = [...node.options, ...inherited].flatMap((o) => (o.long === undefined ? [] : [o.long]));
    return [...node.subcommands, ...options, "--help"].join(" ");
  };
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}_complete`;
  const cases = nodes
    .map((node) => {
      const dynamic =
        node.argument === "sessions"
          ? ` $(${name} session list --names 2>/dev/null)`
          : node.argument === "settings"
            ? " agent base-url auto-continue color"
            : node.argument === "shells"
              ? " bash zsh fish"
              : "";
      return `    ${shellWord(node.path.join(" "))}) candidates=${shellWord(words(node))}"${dynamic}" ;;`;
    })
    .join("\n");
  return `# ${name} completion for bash. Load it with:  source <(${name} completion bash)
${fn}() {
  local cur prev cmdpath word i candidates
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  cmdpath=""
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    case "$word" in
      ${[...valueOptions].join("|")}) (( i++ )); continue ;;
      -*) continue ;;
    esac
    case "\${cmdpath:+$cmdpath }$word" in
      ${paths.map(shellWord).join("|")}) cmdpath="\${cmdpath:+$cmdpath }$word" ;;
    esac
  done
  case "$prev" in
    --session|-c|--continue) COMPREPLY=( $(compgen -W "$(${name} session list --names 2>/dev/null)" -- "$cur") ); return 0 ;;
    -a|--agent) COMPREPLY=( $(compgen -W ${shellWord(AGENT_NAMES.join(" "))} -- "$cur") ); return 0 ;;
    --output) COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;
    ${[...valueOptions].join("|")}) COMPREPLY=(); return 0 ;;
  esac
  case "$cmdpath" in
${cases}
    *) candidates="" ;;
  esac
  COMPREPLY=( $(compgen -W "$candidates" -- "$cur") )
  return 0
}
complete -o default -F ${fn} ${name}
`;
}

function zsh(name: string, nodes: CompletionNode[]): string {
  return `#compdef ${name}
# ${name} completion for zsh. Load it with:  source <(${name} completion zsh)
# (or save it as _${name} in a folder of $fpath).
(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }
autoload -U +X bashcompinit && bashcompinit
${bash(name, nodes).split("\n").slice(1).join("\n")}`;
}

const fishText = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function fish(name: string, nodes: CompletionNode[]): string {
  const lines = [
    `# ${name} completion for fish. Load it with:  ${name} completion fish | source`,
    `# (or save it as ~/.config/fish/completions/${name}.fish).`,
    `complete -c ${name} -f`,
  ];
  const option = (o: CompletionNode["options"][number], condition: string | undefined) => {
    const parts = [`complete -c ${name}`];
    if (condition !== undefined) parts.push(`-n ${fishText(condition)}`);
    if (o.long !== undefined) parts.push(`-l ${o.long.replace(/^--/, "")}`);
    if (o.short !== undefined) parts.push(`-s ${o.short.replace(/^-/, "")}`);
    if (o.takesValue) parts.push("-r");
    if (o.long === "--agent") parts.push(`-a ${fishText(AGENT_NAMES.join(" "))}`);
    if (o.long === "--session" || o.long === "--continue")
      parts.push(`-a ${fishText(`(${name} session list --names 2>/dev/null)`)}`);
    if (o.long === "--output") parts.push("-F");
    parts.push(`-d ${fishText(o.description)}`);
    return parts.join(" ");
  };
  // The condition that exactly `path` has been typed (and none of its subcommands yet).
  const at = (path: string[], node: CompletionNode) => {
    if (path.length === 0) return "__fish_use_subcommand";
    const seen = path.map((word) => `__fish_seen_subcommand_from ${word}`).join("; and ");
    return node.subcommands.length === 0
      ? seen
      : `${seen}; and not __fish_seen_subcommand_from ${node.subcommands.join(" ")}`;
  };
  for (const node of nodes) {
    const parent = nodes.find((n) => n.path.join(" ") === node.path.slice(0, -1).join(" "));
    if (node.path.length > 0 && parent !== undefined) {
      const word = node.path[node.path.length - 1] ?? "";
      lines.push(
        `complete -c ${name} -n ${fishText(at(parent.path, parent))} -a ${word} -d ${fishText(node.description)}`,
      );
    }
    for (const o of node.options) {
      lines.push(
        option(
          o,
          node.path.length === 0
            ? undefined
            : node.path.map((w) => `__fish_seen_subcommand_from ${w}`).join("; and "),
        ),
      );
    }
    const values =
      node.argument === "sessions"
        ? `(${name} session list --names 2>/dev/null)`
        : node.argument === "settings"
          ? "agent base-url auto-continue color"
          : node.argument === "shells"
            ? "bash zsh fish"
            : undefined;
    if (values !== undefined)
      lines.push(`complete -c ${name} -n ${fishText(at(node.path, node))} -a ${fishText(values)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The completion script of `shell` for the program. */
export function completionScript(shell: Shell, program: Command): string {
  const nodes = completionTree(program);
  const name = program.name();
  if (shell === "bash") return bash(name, nodes);
  if (shell === "zsh") return zsh(name, nodes);
  return fish(name, nodes);
}
