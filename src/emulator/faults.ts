/**
 * The fault-spec language: parsing `x-emulator-fault` headers and `[[fault:...]]` prompt directives
 * into {@link FaultRule}s, and helpers to select the rules that apply to a request.
 */
import { InvalidArgumentError } from "../core/errors.js";
import type { Chunking, EndpointName, FaultRule, FaultStatus, Faults } from "./types.js";
import { FAULT_STATUSES } from "./types.js";

/** The header that carries a per-request fault spec. */
export const FAULT_HEADER = "x-emulator-fault";
/** The header that turns verbose streams on (`1`/`true`) or off (`0`/`false`) for one request. */
export const VERBOSE_HEADER = "x-emulator-verbose";

/** Every endpoint of the emulated API, as fault rules and counters name them. */
export const ENDPOINTS: readonly EndpointName[] = [
  "auth",
  "create-session",
  "chat",
  "get-session-code",
  "docs",
  "openapi.json",
];

/**
 * A fault spec that cannot be parsed: an {@link InvalidArgumentError} (a `RobocodersError` with code
 * `invalid_argument`) named `FaultSpecError`, whose message says which token is wrong.
 */
export class FaultSpecError extends InvalidArgumentError {}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1 << 20,
  mb: 1e6,
  mib: 1 << 20,
};

/** Parses a byte size such as `4MiB`, `200k`, `1500`. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || unit === undefined)
    throw new FaultSpecError(`invalid size "${text}" (try 4MiB, 200KiB, 1500)`);
  return Math.round(Number(match[1]) * unit);
}

function parseNonNegativeInt(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new FaultSpecError(
      `"${name}" needs a non-negative integer, got ${value === undefined ? "nothing" : `"${value}"`}`,
    );
  }
  return Number(value);
}

function parseChunking(value: string | undefined): Chunking {
  if (value === undefined)
    throw new FaultSpecError('"chunk" needs a value: lines, whole, split, <bytes> or random[:<seed>]');
  if (value === "lines" || value === "whole" || value === "split") return { mode: value };
  if (/^\d+$/.test(value)) {
    const size = Number(value);
    if (size < 1) throw new FaultSpecError('"chunk" size must be at least 1');
    return { mode: "fixed", size };
  }
  const random = /^random(?::(\d+))?$/.exec(value);
  if (random) return { mode: "random", seed: random[1] === undefined ? 1 : Number(random[1]) };
  throw new FaultSpecError(`invalid chunk policy "${value}" (lines, whole, split, <bytes>, random[:<seed>])`);
}

/**
 * Parses a fault spec such as `status=503, count=2` or `chunk=1 crlf cut-mid-line`.
 *
 * Tokens (separated by `,`, `;` or whitespace): `status=<401|403|404|422|429|500|502|503|504>`,
 * `retry-after=<seconds|date>`, `count=<n>`, `endpoint=<name>[+<name>...]`, `tag=<text>` (ignored; makes a spec
 * distinct), `expired-token`, `chunk=<lines|whole|split|n|random[:seed]>`, `crlf`, `split-crlf`, `utf8`,
 * `blank-lines`, `no-final-newline`, `malformed`, `non-object`, `nan`, `control`, `error-frame`,
 * `long-line[=<size>]`, `silence=<ms>`, `slow-first-byte=<ms>`, `slow-body=<ms>`, `cut-mid-line[=<lines>]`,
 * `missing-final-chunk`, `verbose`, `ask-again[=<n>]`, `text-after-ask`, `write=<path>` (repeatable),
 * `markdown`. A bare status number (`503`) is short for `status=503`.
 * @throws {FaultSpecError} on an unknown token or a bad value.
 */
export function parseFaultSpec(spec: string, defaultLongLineBytes = 3 << 20): FaultRule {
  const rule: FaultRule = {};
  for (const token of spec.split(/[\s,;]+/)) {
    if (token === "") continue;
    const eq = token.indexOf("=");
    const name = (eq === -1 ? token : token.slice(0, eq)).toLowerCase();
    const value = eq === -1 ? undefined : token.slice(eq + 1);
    if (/^\d{3}$/.test(name) && value === undefined) {
      Object.assign(rule, parseStatus(name));
      continue;
    }
    switch (name) {
      case "status":
        Object.assign(rule, parseStatus(value));
        break;
      case "retry-after":
        if (value === "date") rule.retryAfter = "date";
        else rule.retryAfter = parseNonNegativeInt(name, value);
        break;
      case "count":
        rule.count = parseNonNegativeInt(name, value);
        break;
      case "endpoint": {
        const names = (value ?? "").split("+");
        for (const endpoint of names) {
          if (!ENDPOINTS.includes(endpoint as EndpointName)) {
            throw new FaultSpecError(`unknown endpoint "${endpoint}" (${ENDPOINTS.join(", ")})`);
          }
        }
        rule.endpoint = names as EndpointName[];
        break;
      }
      case "tag":
        break;
      case "expired-token":
        rule.expiredToken = true;
        break;
      case "chunk":
        rule.chunking = parseChunking(value);
        break;
      case "crlf":
        rule.crlf = true;
        break;
      case "split-crlf":
        rule.splitCrlf = true;
        break;
      case "utf8":
        rule.rawUtf8 = true;
        break;
      case "blank-lines":
        rule.blankLines = true;
        break;
      case "no-final-newline":
        rule.noFinalNewline = true;
        break;
      case "malformed":
        rule.malformedLines = true;
        break;
      case "non-object":
        rule.nonObjectLines = true;
        break;
      case "nan":
        rule.nanLines = true;
        break;
      case "control":
        rule.controlFrames = true;
        break;
      case "error-frame":
        rule.errorFrame = true;
        break;
      case "long-line":
        rule.longLineBytes = value === undefined ? defaultLongLineBytes : parseSize(value);
        break;
      case "silence":
        rule.silenceMs = parseNonNegativeInt(name, value);
        break;
      case "slow-first-byte":
        rule.firstByteDelayMs = parseNonNegativeInt(name, value);
        break;
      case "slow-body":
        rule.bodyDelayMs = parseNonNegativeInt(name, value);
        break;
      case "cut-mid-line":
        rule.cutMidLine = value === undefined ? true : parseNonNegativeInt(name, value);
        break;
      case "missing-final-chunk":
        rule.missingFinalChunk = true;
        break;
      case "verbose":
        rule.verbose = true;
        break;
      case "ask-again":
        rule.askAgain = value === undefined ? 1 : parseNonNegativeInt(name, value);
        break;
      case "text-after-ask":
        rule.textAfterAsk = true;
        break;
      case "write":
        if (value === undefined || value === "")
          throw new FaultSpecError('"write" needs a path, e.g. write=app/x.py');
        rule.writes = [...(rule.writes ?? []), value];
        break;
      case "markdown":
        rule.markdown = true;
        break;
      default:
        throw new FaultSpecError(`unknown fault "${name}"`);
    }
  }
  return rule;
}

function parseStatus(value: string | undefined): { status: FaultStatus } {
  const status = Number(value);
  const found = FAULT_STATUSES.find((s) => s === status);
  if (found === undefined) {
    throw new FaultSpecError(`"status" must be one of ${FAULT_STATUSES.join(", ")}, got "${value ?? ""}"`);
  }
  return { status: found };
}

/** The directives found in a prompt, and the prompt without them. */
export interface PromptDirectives {
  /** The spec text of each `[[fault:...]]` directive, in order. */
  specs: string[];
  /** Whether a `[[verbose]]` directive was present. */
  verbose: boolean;
  /** The prompt with every directive removed and surrounding whitespace trimmed. */
  prompt: string;
}

const DIRECTIVE = /\[\[(fault:([^\]]*)|verbose)\]\]/g;

/** Finds `[[fault:<spec>]]` and `[[verbose]]` directives in a prompt. */
export function extractDirectives(prompt: string): PromptDirectives {
  const specs: string[] = [];
  let verbose = false;
  const cleaned = prompt.replace(DIRECTIVE, (_match, whole: string, spec: string | undefined) => {
    if (whole === "verbose") verbose = true;
    else specs.push(spec ?? "");
    return "";
  });
  return { specs, verbose, prompt: cleaned.replace(/[ \t]{2,}/g, " ").trim() };
}

/** The endpoints a rule applies to. */
export function ruleEndpoints(rule: FaultRule): readonly EndpointName[] {
  if (rule.endpoint !== undefined) return typeof rule.endpoint === "string" ? [rule.endpoint] : rule.endpoint;
  if (rule.status !== undefined) return ENDPOINTS;
  if (rule.expiredToken) return ["auth"];
  return ["chat"];
}

/** Merges fault sets; later ones win field by field. */
export function mergeFaults(sets: readonly (Faults | FaultRule)[]): Faults {
  const merged: Faults = {};
  for (const set of sets) {
    for (const [key, value] of Object.entries(set)) {
      if (value !== undefined && key !== "count" && key !== "endpoint") {
        (merged as Record<string, unknown>)[key] = value;
      }
    }
  }
  return merged;
}

/** Names of the faults in a set, for the `faultsInjected` counter. */
export function faultNames(faults: Faults): string[] {
  const names: string[] = [];
  if (faults.status !== undefined) names.push(`status:${faults.status}`);
  if (faults.expiredToken) names.push("expired-token");
  if (faults.chunking !== undefined && faults.chunking.mode !== "lines")
    names.push(`chunk:${faults.chunking.mode}`);
  const flags: [keyof Faults, string][] = [
    ["crlf", "crlf"],
    ["splitCrlf", "split-crlf"],
    ["rawUtf8", "utf8"],
    ["blankLines", "blank-lines"],
    ["noFinalNewline", "no-final-newline"],
    ["malformedLines", "malformed"],
    ["nonObjectLines", "non-object"],
    ["nanLines", "nan"],
    ["controlFrames", "control"],
    ["errorFrame", "error-frame"],
    ["longLineBytes", "long-line"],
    ["silenceMs", "silence"],
    ["firstByteDelayMs", "slow-first-byte"],
    ["bodyDelayMs", "slow-body"],
    ["cutMidLine", "cut-mid-line"],
    ["missingFinalChunk", "missing-final-chunk"],
    ["textAfterAsk", "text-after-ask"],
    ["markdown", "markdown"],
  ];
  for (const [key, name] of flags) {
    const value = faults[key];
    if (value !== undefined && value !== false) names.push(name);
  }
  if (faults.askAgain !== undefined && faults.askAgain > 0) names.push("ask-again");
  if (faults.writes !== undefined && faults.writes.length > 0) names.push("write");
  return names;
}

const BOOLEAN_FIELDS = [
  "expiredToken",
  "crlf",
  "splitCrlf",
  "rawUtf8",
  "blankLines",
  "noFinalNewline",
  "malformedLines",
  "nonObjectLines",
  "nanLines",
  "controlFrames",
  "errorFrame",
  "missingFinalChunk",
  "verbose",
  "textAfterAsk",
  "markdown",
] as const;
const COUNT_FIELDS = [
  "count",
  "longLineBytes",
  "silenceMs",
  "firstByteDelayMs",
  "bodyDelayMs",
  "askAgain",
] as const;

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

function chunkingFrom(value: unknown): Chunking {
  const bad = (): never => {
    throw new FaultSpecError(
      '"chunking" must be {"mode": "lines" | "whole" | "split"}, {"mode": "fixed", "size": <n ≥ 1>} ' +
        'or {"mode": "random", "seed": <n>, "min"?: <n>, "max"?: <n>}',
    );
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return bad();
  const { mode, ...rest } = value as Record<string, unknown>;
  const keys = Object.keys(rest);
  if ((mode === "lines" || mode === "whole" || mode === "split") && keys.length === 0) return { mode };
  if (mode === "fixed" && keys.join() === "size" && isCount(rest.size) && rest.size >= 1)
    return { mode, size: rest.size };
  if (
    mode === "random" &&
    keys.every((key) => key === "seed" || key === "min" || key === "max") &&
    isCount(rest.seed) &&
    (rest.min === undefined || isCount(rest.min)) &&
    (rest.max === undefined || isCount(rest.max))
  ) {
    const chunking: Chunking = { mode, seed: rest.seed };
    if (rest.min !== undefined) chunking.min = rest.min as number;
    if (rest.max !== undefined) chunking.max = rest.max as number;
    return chunking;
  }
  return bad();
}

/**
 * Checks a fault rule given as JSON (the fields of {@link FaultRule}) and returns it as a rule.
 * @throws {FaultSpecError} for an unknown field or a value of the wrong type or range.
 */
export function parseFaultRule(value: unknown): FaultRule {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new FaultSpecError("a fault rule must be a JSON object");
  const rule: FaultRule = {};
  const target = rule as Record<string, unknown>;
  for (const [key, field] of Object.entries(value)) {
    if (field === undefined || field === null) continue;
    if ((BOOLEAN_FIELDS as readonly string[]).includes(key)) {
      if (typeof field !== "boolean") throw new FaultSpecError(`"${key}" must be true or false`);
      target[key] = field;
    } else if ((COUNT_FIELDS as readonly string[]).includes(key)) {
      if (!isCount(field)) throw new FaultSpecError(`"${key}" must be a non-negative integer`);
      target[key] = field;
    } else if (key === "status") {
      if (typeof field !== "number") throw new FaultSpecError('"status" must be a number');
      Object.assign(rule, parseStatus(String(field)));
    } else if (key === "retryAfter") {
      if (field !== "date" && !isCount(field))
        throw new FaultSpecError('"retryAfter" must be a non-negative integer or "date"');
      rule.retryAfter = field;
    } else if (key === "cutMidLine") {
      if (typeof field !== "boolean" && !isCount(field))
        throw new FaultSpecError('"cutMidLine" must be true, false or a number of lines');
      rule.cutMidLine = field;
    } else if (key === "chunking") {
      rule.chunking = chunkingFrom(field);
    } else if (key === "writes") {
      if (!Array.isArray(field) || !field.every((path) => typeof path === "string" && path !== "")) {
        throw new FaultSpecError('"writes" must be an array of non-empty paths');
      }
      rule.writes = [...field] as string[];
    } else if (key === "endpoint") {
      const names = Array.isArray(field) ? field : [field];
      for (const name of names) {
        if (typeof name !== "string" || !ENDPOINTS.includes(name as EndpointName))
          throw new FaultSpecError(`unknown endpoint ${JSON.stringify(name)} (${ENDPOINTS.join(", ")})`);
      }
      rule.endpoint = names as EndpointName[];
    } else {
      throw new FaultSpecError(`unknown fault rule field "${key}"`);
    }
  }
  return rule;
}
