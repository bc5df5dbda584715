/**
 * Request-body validation with FastAPI/pydantic v2 error shapes:
 * `{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}`.
 */

import { isRecord } from "../internal/values.js";
import { AGENTS, type AgentName } from "./types.js";

/** One pydantic v2 error as FastAPI returns it. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

/** A field of a request model. */
export interface FieldSpec {
  name: string;
  kind: "string" | "agent";
  /** Value when absent; absent and no default means required. */
  default?: string;
}

/** The validated body, or the errors. */
export type ValidationResult =
  | { ok: true; values: Record<string, string> }
  | { ok: false; issues: ValidationIssue[] };

const AGENT_LIST = "'GeneralCodingAgent', 'RepoAgent' or 'FrontEndAgent'";

/** Whether a value names an agent. */
export function isAgent(value: unknown): value is AgentName {
  return typeof value === "string" && (AGENTS as readonly string[]).includes(value);
}

/**
 * Parses and validates a JSON body against the fields, in FastAPI's order: JSON syntax, then the
 * body's shape, then every field (all field errors are reported together).
 */
export function validateBody(text: string, fields: readonly FieldSpec[]): ValidationResult {
  if (text.trim() === "") {
    return { ok: false, issues: [{ type: "missing", loc: ["body"], msg: "Field required", input: null }] };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec(error instanceof Error ? error.message : "");
    return {
      ok: false,
      issues: [
        {
          type: "json_invalid",
          loc: ["body", position ? Number(position[1]) : 0],
          msg: "JSON decode error",
          input: {},
          ctx: { error: "Expecting value" },
        },
      ],
    };
  }
  if (!isRecord(body)) {
    return {
      ok: false,
      issues: [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
          input: body,
        },
      ],
    };
  }
  const issues: ValidationIssue[] = [];
  const values: Record<string, string> = {};
  for (const field of fields) {
    const present = Object.hasOwn(body, field.name);
    const value = body[field.name];
    if (!present) {
      if (field.default !== undefined) values[field.name] = field.default;
      else issues.push({ type: "missing", loc: ["body", field.name], msg: "Field required", input: body });
      continue;
    }
    if (field.kind === "agent") {
      if (isAgent(value)) values[field.name] = value;
      else
        issues.push({
          type: "enum",
          loc: ["body", field.name],
          msg: `Input should be ${AGENT_LIST}`,
          input: value,
          ctx: { expected: AGENT_LIST },
        });
    } else if (typeof value === "string") {
      values[field.name] = value;
    } else {
      issues.push({
        type: "string_type",
        loc: ["body", field.name],
        msg: "Input should be a valid string",
        input: value,
      });
    }
  }
  return issues.length === 0 ? { ok: true, values } : { ok: false, issues };
}
