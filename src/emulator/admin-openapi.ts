/** The admin API's part of the emulator's OpenAPI document (paths under `/__emulator/` and their schemas). */

const TAG = "emulator admin";
const adminAuth = [{}, { EmulatorAdminToken: [] }];

function json(description: string, schema: Record<string, unknown>): Record<string, unknown> {
  return { description, content: { "application/json": { schema } } };
}
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = json("Refused or invalid request", ref("AdminProblem"));
const common = { "401": problem, "403": problem };

function operation(
  summary: string,
  operationId: string,
  ok: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    tags: [TAG],
    summary,
    operationId,
    security: adminAuth,
    ...extra,
    responses: { ...ok, ...common },
  };
}

function body(schema: Record<string, unknown>, required = false): Record<string, unknown> {
  return { requestBody: { required, content: { "application/json": { schema } } } };
}

const sidParameter = { name: "sid", in: "path", required: true, schema: { type: "string" } };

/** The admin paths. */
export function adminPaths(): Record<string, unknown> {
  return {
    "/__emulator/stats": {
      get: operation("Counters", "admin_stats", { "200": json("The counters", ref("EmulatorStats")) }),
    },
    "/__emulator/chats": {
      get: operation(
        "Chat records",
        "admin_chats",
        { "200": json("Records of /chat responses, oldest first", ref("ChatRecords")) },
        {
          parameters: [
            { name: "sid", in: "query", schema: { type: "string" }, description: "only this session" },
            { name: "since", in: "query", schema: { type: "integer" }, description: "only `seq` > since" },
            {
              name: "lines",
              in: "query",
              schema: { type: "boolean", default: true },
              description: "`false` leaves out the lines",
            },
          ],
        },
      ),
    },
    "/__emulator/reset": {
      post: operation("Zero counters, drop chat records and per-spec fault counts", "admin_reset", {
        "200": json("Done", { type: "object", properties: { reset: { const: true } } }),
      }),
    },
    "/__emulator/faults": {
      get: operation("Instance fault rules", "admin_faults", { "200": json("The rules", ref("FaultList")) }),
      post: operation(
        "Add a fault rule",
        "admin_add_fault",
        { "201": json("The rule added, and every rule", ref("FaultAdded")), "422": problem },
        body(
          {
            oneOf: [
              {
                type: "object",
                required: ["spec"],
                properties: { spec: { type: "string", examples: ["status=503, count=1"] } },
              },
              { type: "object", required: ["rule"], properties: { rule: ref("FaultRule") } },
            ],
          },
          true,
        ),
      ),
      delete: operation("Remove every fault rule", "admin_clear_faults", {
        "200": json("No rules left", ref("FaultList")),
      }),
    },
    "/__emulator/sessions": {
      post: operation("Create a session", "admin_create_session", {
        "201": json("The session", { type: "object", properties: { sid: { type: "string" } } }),
      }),
    },
    "/__emulator/sessions/{sid}": {
      get: operation(
        "A session's state",
        "admin_session",
        {
          "200": json("The session", {
            type: "object",
            properties: {
              sid: { type: "string" },
              phase: { enum: ["idle", "asked"] },
              tasks: { type: "integer" },
              nextEventId: { type: "integer" },
            },
          }),
          "404": problem,
        },
        { parameters: [sidParameter] },
      ),
      delete: operation(
        "Forget a session (the next /chat on it gets 404)",
        "admin_forget_session",
        { "200": json("Forgotten", { type: "object" }), "404": problem },
        { parameters: [sidParameter] },
      ),
    },
    "/__emulator/tokens": {
      post: operation(
        "Mint a token",
        "admin_mint_token",
        {
          "201": json("The token and its claims", {
            type: "object",
            properties: { token: { type: "string" }, sub: { type: "string" }, exp: { type: "integer" } },
          }),
          "422": problem,
        },
        body({
          type: "object",
          properties: {
            expiresInSeconds: { type: "integer", description: "negative for an expired token" },
            sub: { type: "string" },
          },
        }),
      ),
      delete: operation("Revoke every token issued so far", "admin_revoke_tokens", {
        "200": json("Revoked", { type: "object", properties: { revoked: { const: true } } }),
      }),
    },
    "/__emulator/settings": {
      get: operation("Settings", "admin_settings", { "200": json("The settings", ref("EmulatorSettings")) }),
      post: operation(
        "Change settings",
        "admin_change_settings",
        { "200": json("The settings", ref("EmulatorSettings")), "422": problem },
        body(ref("EmulatorSettings"), true),
      ),
    },
  };
}

/** The admin schemas and security scheme. */
export function adminComponents(): {
  schemas: Record<string, unknown>;
  securitySchemes: Record<string, unknown>;
} {
  const counts = { type: "object", additionalProperties: { type: "integer" } };
  return {
    schemas: {
      AdminProblem: { type: "object", required: ["detail"], properties: { detail: { type: "string" } } },
      EmulatorStats: {
        type: "object",
        properties: {
          totalRequests: { type: "integer" },
          requests: counts,
          statuses: { type: "object", additionalProperties: counts },
          tokensIssued: { type: "integer" },
          sessionsCreated: { type: "integer" },
          chatStreams: counts,
          faultsInjected: counts,
        },
      },
      ChatRecords: {
        type: "object",
        properties: {
          chats: {
            type: "array",
            items: {
              type: "object",
              properties: {
                seq: { type: "integer" },
                sid: { type: "string" },
                agent: { type: "string" },
                prompt: { type: "string" },
                cleanPrompt: { type: "string" },
                faults: ref("FaultRule"),
                lines: {
                  type: "array",
                  items: {
                    type: "object",
                    properties: {
                      line: { type: "string" },
                      kind: { type: "string" },
                      text: { type: "string" },
                    },
                  },
                },
                texts: { type: "array", items: { type: "string" } },
                outcome: {
                  enum: [
                    "streaming",
                    "completed",
                    "aborted-by-client",
                    "cut-mid-line",
                    "missing-final-chunk",
                  ],
                },
                completed: { type: "boolean" },
              },
            },
          },
        },
      },
      FaultRule: {
        type: "object",
        description: "The fields of a fault rule, as in the fault-spec table of docs/emulator.md",
        additionalProperties: true,
      },
      FaultList: {
        type: "object",
        properties: {
          faults: {
            type: "array",
            items: {
              type: "object",
              properties: { rule: ref("FaultRule"), remaining: { type: ["integer", "null"] } },
            },
          },
        },
      },
      FaultAdded: {
        type: "object",
        properties: {
          rule: ref("FaultRule"),
          faults: { $ref: "#/components/schemas/FaultList/properties/faults" },
        },
      },
      EmulatorSettings: {
        type: "object",
        properties: { verbose: { type: "boolean" }, latencyMs: { type: "integer", minimum: 0 } },
      },
    },
    securitySchemes: {
      EmulatorAdminToken: {
        type: "http",
        scheme: "bearer",
        description:
          "Only when the emulator runs with an admin token (also accepted as x-emulator-admin-token)",
      },
    },
  };
}
