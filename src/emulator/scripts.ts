/**
 * The agents' scripts. Each agent works on a coding task derived from the prompt: the first turn of a
 * task ends with a clarifying question (`message` with `wait_for_response: true`); the next prompt
 * (`continue` or an answer) resumes through delegate/run_ipython/run/write/read/browse actions to a
 * `finish`; a prompt after that starts a new task in the same session.
 *
 * Steps are abstract: the stream layer numbers them, stamps them and drops the verbose-only ones in
 * compact mode (which leaves gaps in the ids, as the real service does).
 */
import type { PyValue } from "../core/python-json.js";
import type { AgentName } from "./types.js";

/** An action step. `message` is the display string. */
export interface ActionStep {
  kind: "action";
  source: "agent" | "user";
  action: string;
  message: string;
  args: Record<string, PyValue>;
  /** Never streamed (a user message); it still takes an id. */
  hidden?: boolean;
}

/** An observation step; `cause` is filled with the id of the action it answers. */
export interface ObservationStep {
  kind: "observation";
  source: "agent" | "user" | "environment";
  observation: string;
  message: string;
  content: string;
  extras: Record<string, PyValue>;
  /** Whether it answers the preceding action (gets `cause`). */
  answers: boolean;
}

/** One scripted event. Observations only reach verbose streams. */
export type Step = ActionStep | ObservationStep;

/** Where a session is in its current task. */
export interface TaskState {
  /** `idle`: the next prompt starts a task; `asked`: the agent waits for an answer. */
  phase: "idle" | "asked";
  /** The prompt that started the current task. */
  task: string;
  /** Tasks started in this session. */
  tasks: number;
  /** Questions the agent still asks before it works (see {@link TurnShape.askAgain}). */
  questionsLeft: number;
  /** Follow-up questions asked so far in the current task. */
  followUps: number;
  /** Whether questions of the current task are followed by a text message (see {@link TurnShape.textAfterAsk}). */
  textAfterAsk: boolean;
  /** Extra paths the agent writes when it works on the current task (see {@link TurnShape.writes}). */
  writes?: readonly string[];
}

/** A new, idle task state. */
export function initialTaskState(): TaskState {
  return { phase: "idle", task: "", tasks: 0, questionsLeft: 0, followUps: 0, textAfterAsk: false };
}

/** How a task's turns are shaped (chosen by the prompt that starts the task). */
export interface TurnShape {
  /** Questions asked after the first one, one per reply, before the work starts. Default 0. */
  askAgain?: number;
  /** A text message follows each question in the same stream. Default false. */
  textAfterAsk?: boolean;
  /**
   * Paths the agent also writes, as given, before its closing message when it works on the task; a path
   * given again is rewritten with a changed content. Default none.
   */
  writes?: readonly string[];
  /** A Markdown message ({@link MARKDOWN_MESSAGE}) comes before the question that starts the task. Default false. */
  markdown?: boolean;
}

/** The prompt on one line, shortened to `max` characters. */
export function excerpt(prompt: string, max = 120): string {
  const flat = prompt.replace(/\s+/g, " ").trim();
  if (flat === "") return "your task";
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join("")}…`;
}

const STOP_WORDS = new Set([
  "a",
  "an",
  "the",
  "me",
  "please",
  "write",
  "create",
  "make",
  "build",
  "that",
  "to",
  "for",
  "of",
  "and",
  "with",
  "in",
  "my",
]);

/** A file-system friendly name derived from the prompt (ASCII, lowercase, up to 3 words). */
export function slugOf(prompt: string): string {
  const words = prompt
    .normalize("NFKD")
    .replace(/[^\x20-\x7e]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "" && !STOP_WORDS.has(w))
    .slice(0, 3);
  return words.length === 0 ? "project" : words.join("_");
}

function message(content: string, waitForResponse: boolean): ActionStep {
  return {
    kind: "action",
    source: "agent",
    action: "message",
    message: content,
    args: { content, wait_for_response: waitForResponse, extras: {} },
  };
}

function userMessage(content: string): ActionStep {
  return {
    kind: "action",
    source: "user",
    action: "message",
    message: content,
    args: { content, wait_for_response: false, extras: {} },
    hidden: true,
  };
}

/** An `agent_state_changed` observation (verbose streams only). */
function stateChanged(agentState: string): ObservationStep {
  return {
    kind: "observation",
    source: "environment",
    observation: "agent_state_changed",
    message: "",
    content: "",
    extras: { agent_state: agentState },
    answers: false,
  };
}

function run(command: string, thought: string, output: string, exitCode = 0, background = false): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "run",
      message: `Running command: ${command}`,
      args: { command, background, thought },
    },
    {
      kind: "observation",
      source: "agent",
      observation: "run",
      message: `Command \`${command}\` executed with exit code ${exitCode}.`,
      content: output,
      extras: { command_id: -1, command, exit_code: exitCode },
      answers: true,
    },
  ];
}

function ipython(code: string, thought: string, output: string): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "run_ipython",
      message: `Running Python code interactively: ${code}`,
      args: { code, thought, kernel_init_code: "from agentskills import *" },
    },
    {
      kind: "observation",
      source: "agent",
      observation: "run_ipython",
      message: "Code executed in IPython cell.",
      content: output,
      extras: { code },
      answers: true,
    },
  ];
}

function write(path: string, content: string, thought: string): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "write",
      message: `Writing file: ${path}`,
      args: { path, content, start: 0, end: -1, thought },
    },
    {
      kind: "observation",
      source: "agent",
      observation: "write",
      message: `I wrote to the file ${path}.`,
      content: "",
      extras: { path },
      answers: true,
    },
  ];
}

function read(path: string, thought: string, content: string): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "read",
      message: `Reading file: ${path}`,
      args: { path, start: 0, end: -1, thought },
    },
    {
      kind: "observation",
      source: "agent",
      observation: "read",
      message: `I read the file ${path}.`,
      content,
      extras: { path },
      answers: true,
    },
  ];
}

/** A tiny valid PNG (1×1, transparent), base64. */
export const TINY_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** A browse action and its observation (whose screenshot is `screenshot`). */
export function browse(url: string, text: string, screenshot = TINY_PNG_BASE64): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "browse",
      message: `Browsing URL: ${url}`,
      args: { url },
    },
    browseObservation(url, text, screenshot),
  ];
}

/** A browse observation (the long-line fault uses it with a big screenshot). */
export function browseObservation(url: string, text: string, screenshot: string): ObservationStep {
  return {
    kind: "observation",
    source: "agent",
    observation: "browse",
    message: `Visited ${url}`,
    content: text,
    extras: {
      url,
      screenshot: `data:image/png;base64,${screenshot}`,
      status_code: 200,
      error: false,
      open_pages_urls: [url],
      active_page_index: 0,
    },
    answers: true,
  };
}

function delegate(
  agent: string,
  inputs: Record<string, PyValue>,
  thought: string,
  outputs: Record<string, PyValue>,
): Step[] {
  return [
    {
      kind: "action",
      source: "agent",
      action: "delegate",
      message: `I'm asking ${agent} for help with this task.`,
      args: { agent, inputs, thought },
    },
    {
      kind: "observation",
      source: "agent",
      observation: "delegate",
      message: `${agent} finishes task with ${Object.keys(outputs).join(", ")}`,
      content: "",
      extras: { outputs },
      answers: true,
    },
  ];
}

function finish(thought: string): Step {
  return {
    kind: "action",
    source: "agent",
    action: "finish",
    message: "All done! What's next on the agenda?",
    args: { outputs: {}, thought },
  };
}

function pyQuote(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"""/g, '\\"\\"\\"');
}

function generalAsk(task: string): string {
  return (
    `Thanks! Before I start on "${excerpt(task)}": should this be a small command-line tool or a ` +
    "library module with tests? I'd use Python 3.12 and pytest and keep everything in one folder. " +
    'Reply "continue" and I\'ll go with that 🙂'
  );
}

function generalWork(task: string, answer: string): Step[] {
  const slug = slugOf(task);
  const dir = `/workspace/${slug}`;
  const main = `${dir}/main.py`;
  const code =
    `"""${pyQuote(excerpt(task, 200))}\n\nGrüße from the GeneralCodingAgent."""\n` +
    "import sys\n\n\n" +
    "def solve(a: float, b: float) -> float:\n" +
    '    """Combine the two inputs (the core of the task)."""\n' +
    "    return a + b\n\n\n" +
    'if __name__ == "__main__":\n' +
    "    x, y = (float(v) for v in sys.argv[1:3])\n" +
    "    result = solve(x, y)\n" +
    "    print(int(result) if result.is_integer() else result)\n";
  const tests =
    "from main import solve\n\n\n" +
    "def test_integers():\n    assert solve(2, 3) == 5\n\n\n" +
    "def test_floats():\n    assert solve(0.5, 0.25) == 0.75\n";
  return [
    ...delegate(
      "TaskPlannerAgent",
      { task },
      `Let me break this down first (your answer: "${excerpt(answer, 60)}").`,
      { plan: ["create the module", "add a CLI entry point", "write tests", "run them"] },
    ),
    ...ipython(
      `import os\nos.makedirs('${dir}', exist_ok=True)\nprint(os.listdir('/workspace'))`,
      "I'll set up a folder for the project.",
      `['${slug}']`,
    ),
    ...write(main, code, "Now the implementation:"),
    ...run(`python3 ${main} 2 3`, "Let me try it:", "5"),
    ...write(`${dir}/test_main.py`, tests, "And a couple of tests:"),
    ...run(
      `cd ${dir} && python3 -m pytest -q`,
      "Running the tests:",
      "..                                                                       [100%]\n2 passed in 0.01s",
    ),
    ...read(main, "Let me double-check the final file:", code),
    message(
      `Done ✅ ${slug}/main.py implements "${excerpt(task, 80)}", with a command-line entry point ` +
        "(`python3 main.py 2 3` prints 5) and two passing tests. Schöne Grüße! 🚀",
      false,
    ),
    finish("The module, its CLI and its tests are in place and the tests pass."),
  ];
}

function repoAsk(task: string): string {
  return (
    `Which repository and branch should I use for "${excerpt(task)}"? If you don't mind, I'll clone ` +
    `https://github.com/octo-org/${slugOf(task)} (branch main) and open a fix there. Reply "continue" to go ahead 👍`
  );
}

function repoWork(task: string, answer: string): Step[] {
  const slug = slugOf(task);
  const dir = `/workspace/${slug}`;
  const readme =
    `# ${slug}\n\nUtilities for parsing configuration files.\n\n## Development\n\n` +
    "```\npip install -e .\npython -m pytest\n```\n";
  const fixed =
    'def parse_line(line: str) -> tuple[str, str]:\n    """Split `key = value`, ignoring comments and blanks (naïve input welcome)."""\n' +
    '    line = line.split("#", 1)[0].strip()\n    if not line:\n        raise ValueError("empty line")\n' +
    '    key, sep, value = line.partition("=")\n    if not sep:\n        raise ValueError(f"missing \'=\' in {line!r}")\n' +
    "    return key.strip(), value.strip()\n";
  return [
    ...run(
      `git clone https://github.com/octo-org/${slug}.git ${dir}`,
      `Cloning the repository (noted: "${excerpt(answer, 60)}").`,
      `Cloning into '${dir}'...\nremote: Enumerating objects: 42, done.\nReceiving objects: 100% (42/42), done.`,
    ),
    ...read(`${dir}/README.md`, "Let me read the README first:", readme),
    ...run(
      `cd ${dir} && grep -rn "TODO" src | head`,
      "Looking for the relevant code:",
      `src/${slug}/parser.py:12:    # TODO: handle comments and blank lines`,
    ),
    ...run(
      `cd ${dir} && python -m pytest -q`,
      "Running the test suite before changing anything:",
      "F.\nFAILED tests/test_parser.py::test_comments - ValueError: not enough values to unpack\n1 failed, 1 passed in 0.04s",
      1,
    ),
    ...write(`${dir}/src/${slug}/parser.py`, fixed, "The parser chokes on comments; here is the fix:"),
    ...run(`cd ${dir} && python -m pytest -q`, "Re-running the tests:", "..\n2 passed in 0.03s"),
    ...run(
      `cd ${dir} && git diff --stat`,
      "Summary of the change:",
      ` src/${slug}/parser.py | 9 ++++++---\n 1 file changed, 6 insertions(+), 3 deletions(-)`,
    ),
    message(
      `Fixed ✅ the parser in ${slug} now ignores comments and blank lines; the failing test passes. ` +
        "The change is one file (+6/−3), ready for review.",
      false,
    ),
    finish("The bug is fixed and covered by the existing test."),
  ];
}

function frontEndAsk(task: string): string {
  return (
    `Quick question about "${excerpt(task)}": React with Vite, or Next.js (App Router)? I'd pick ` +
    'Next.js 14 with Tailwind CSS and a dark-mode toggle 🌙 unless you prefer otherwise. Reply "continue" to go with that.'
  );
}

function frontEndWork(task: string, answer: string): Step[] {
  const slug = slugOf(task).replace(/_/g, "-");
  const dir = `/workspace/${slug}`;
  const page =
    'import ThemeToggle from "@/components/ThemeToggle";\n\n' +
    "export default function Home() {\n  return (\n" +
    '    <main className="min-h-screen bg-white p-8 text-gray-900 dark:bg-gray-950 dark:text-gray-100">\n' +
    '      <header className="flex items-center justify-between">\n' +
    `        <h1 className="text-3xl font-bold">${excerpt(task, 60).replace(/[<>{}]/g, "")}</h1>\n` +
    "        <ThemeToggle />\n      </header>\n" +
    '      <p className="mt-4 text-lg">Willkommen ✨ built with Next.js and Tailwind CSS.</p>\n' +
    "    </main>\n  );\n}\n";
  const toggle =
    '"use client";\nimport { useEffect, useState } from "react";\n\n' +
    "export default function ThemeToggle() {\n  const [dark, setDark] = useState(false);\n" +
    '  useEffect(() => document.documentElement.classList.toggle("dark", dark), [dark]);\n' +
    '  return (\n    <button type="button" onClick={() => setDark(!dark)} className="rounded px-3 py-1 ring-1">\n' +
    '      {dark ? "☀️ Light" : "🌙 Dark"}\n    </button>\n  );\n}\n';
  return [
    ...delegate("TaskPlannerAgent", { task }, `Planning the UI (your answer: "${excerpt(answer, 60)}").`, {
      plan: ["scaffold Next.js", "build the page", "add the theme toggle", "check it in a browser"],
    }),
    ...run(
      `npx create-next-app@14 ${slug} --ts --tailwind --eslint --app --use-npm --no-src-dir`,
      "Scaffolding the app:",
      `Creating a new Next.js app in ${dir}.\n\nSuccess! Created ${slug} at ${dir}`,
    ),
    ...write(`${dir}/app/page.tsx`, page, "The landing page:"),
    ...write(`${dir}/components/ThemeToggle.tsx`, toggle, "A dark-mode toggle:"),
    ...run(
      `cd ${dir} && npm run build`,
      "Building to catch type errors:",
      "▲ Next.js 14.2.5\n ✓ Compiled successfully\n ✓ Generating static pages (5/5)",
    ),
    ...run(
      `cd ${dir} && npm run start -- -p 3000 > server.log 2>&1 &`,
      "Starting the server:",
      "[1] 4242",
      0,
      true,
    ),
    ...browse(
      "http://localhost:3000",
      `${excerpt(task, 60)}\n🌙 Dark\nWillkommen ✨ built with Next.js and Tailwind CSS.`,
    ),
    message(
      `Done ✅ the page for "${excerpt(task, 80)}" is live on http://localhost:3000 with Tailwind styling and a ` +
        "dark-mode toggle (🌙/☀️). Files: app/page.tsx and components/ThemeToggle.tsx.",
      false,
    ),
    finish("The UI builds and renders."),
  ];
}

interface AgentScript {
  ask(task: string): string;
  work(task: string, answer: string): Step[];
}

const SCRIPTS: Record<AgentName, AgentScript> = {
  GeneralCodingAgent: { ask: generalAsk, work: generalWork },
  RepoAgent: { ask: repoAsk, work: repoWork },
  FrontEndAgent: { ask: frontEndAsk, work: frontEndWork },
};

function askAgain(task: string, number: number): string {
  return (
    `One more question about "${excerpt(task, 80)}" (${number}): should I also add a README with usage ` +
    'examples? Reply "continue" and I\'ll keep it short 📝'
  );
}

/** The Markdown message that comes before the first question with {@link TurnShape.markdown}. */
export const MARKDOWN_MESSAGE = [
  "## Plan",
  "",
  "I'll work in **three steps**, each with *tests*:",
  "",
  "1. Write `main.py` with a `solve` function",
  "2. Add a command-line entry point",
  "3. Run the tests with [pytest](https://docs.pytest.org/)",
  "",
  "```python",
  "def solve(a: float, b: float) -> float:",
  "    return a + b",
  "```",
  "",
  "A longer paragraph to show how the text is wrapped at the width of the terminal without breaking any " +
    "word in the middle, however narrow the window is.",
].join("\n");

/** The extra files of {@link TurnShape.writes}: each path as given, a repeated path with a new version. */
function extraWrites(paths: readonly string[]): Step[] {
  const seen = new Map<string, number>();
  return paths.flatMap((path) => {
    const version = (seen.get(path) ?? 0) + 1;
    seen.set(path, version);
    const content =
      `"""${pyQuote(path)}"""\n\n\ndef version() -> int:\n    return ${version}\n\n\n` +
      'if __name__ == "__main__":\n    print(version())\n';
    return write(path, content, version === 1 ? `Writing ${path}:` : `Updating ${path}:`);
  });
}

/** The text message that follows a question with {@link TurnShape.textAfterAsk}. */
export const TEXT_AFTER_ASK =
  "While you think about it, I'll have a look around the workspace. 👀 Nothing is changed until you answer.";

/**
 * Plays one turn: returns its steps and advances `task`. A prompt in the `idle` phase starts a task
 * (shaped by `shape`) and ends on a clarifying question; in the `asked` phase it is the answer: the agent
 * asks again while the task has questions left, else works to a `finish`.
 */
export function playTurn(task: TaskState, agent: AgentName, prompt: string, shape: TurnShape = {}): Step[] {
  const script = SCRIPTS[agent];
  const steps: Step[] = [userMessage(prompt), stateChanged("running")];
  const ask = (question: string): void => {
    steps.push(message(question, true));
    if (task.textAfterAsk) steps.push(message(TEXT_AFTER_ASK, false));
    steps.push(stateChanged("awaiting_user_input"));
  };
  if (task.phase === "idle") {
    task.phase = "asked";
    task.task = prompt;
    task.tasks += 1;
    task.questionsLeft = shape.askAgain ?? 0;
    task.followUps = 0;
    task.textAfterAsk = shape.textAfterAsk === true;
    if (shape.writes !== undefined && shape.writes.length > 0) task.writes = shape.writes;
    else delete task.writes;
    ask(script.ask(prompt));
    if (shape.markdown === true) steps.splice(2, 0, message(MARKDOWN_MESSAGE, false));
  } else if (task.questionsLeft > 0) {
    task.questionsLeft -= 1;
    task.followUps += 1;
    ask(askAgain(task.task, task.followUps));
  } else {
    task.phase = "idle";
    const work = script.work(task.task, prompt);
    if (task.writes !== undefined) {
      // Before the closing message and the finish.
      work.splice(work.length - 2, 0, ...extraWrites(task.writes));
    }
    steps.push(...work, stateChanged("finished"));
  }
  return steps;
}
