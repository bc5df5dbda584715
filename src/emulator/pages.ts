/** HTML pages and the OpenAPI document served by the emulator. */
import { adminComponents, adminPaths } from "./admin-openapi.js";

/** The `/auth` page: the token is the text of `<pre id="token">`, with whitespace around it. */
export function authPage(token: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Robocoders AI – Access Token</title>
    <!-- The token below identifies this browser. Keep it secret; it grants access to your sessions. -->
    <style>
        body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; color: #1f2933; }
        pre { background: #f5f7fa; padding: 1rem; white-space: pre-wrap; word-break: break-all; }
        .hint { color: #616e7c; font-size: .9rem; }
    </style>
    <script>
        // Copy helper: reads the token element and puts its text on the clipboard.
        function copyToken() {
            var el = document.getElementById("token");
            if (el && navigator.clipboard) { navigator.clipboard.writeText(el.textContent.trim()); }
        }
        window.addEventListener("load", function () { console.log("token page ready <pre>"); });
    </script>
</head>
<body>
    <h1>Your Robocoders AI access token</h1>
    <p class="hint">Use it as <code>Authorization: Bearer &lt;token&gt;</code>. It expires after a year.</p>
    <pre id="token">
        ${token}
    </pre>
    <button type="button" onclick="copyToken()">Copy</button>
    <!-- <p>Need help? Ask in the community chat.</p> -->
    <footer class="hint">&copy; Robocoders AI</footer>
</body>
</html>
`;
}

/** The `/docs` page (FastAPI's Swagger UI shell). */
export function docsPage(): string {
  return `<!DOCTYPE html>
<html>
<head>
<link type="text/css" rel="stylesheet" href="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css">
<link rel="shortcut icon" href="https://fastapi.tiangolo.com/img/favicon.png">
<title>Robocoders AI API - Swagger UI</title>
</head>
<body>
<div id="swagger-ui">
</div>
<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<!-- \`SwaggerUIBundle\` is now available on the page -->
<script>
const ui = SwaggerUIBundle({
    url: '/openapi.json',
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": true,
    "showExtensions": true,
    "showCommonExtensions": true,
    presets: [
        SwaggerUIBundle.presets.apis,
        SwaggerUIBundle.SwaggerUIStandalonePreset
    ],
})
</script>
</body>
</html>
`;
}

const TITLES: Record<number, string> = {
  502: "502 Bad Gateway",
  503: "503 Service Temporarily Unavailable",
  504: "504 Gateway Time-out",
};

/** An HTML error page as a reverse proxy (nginx) writes it. */
export function proxyErrorPage(status: number): string {
  const title = TITLES[status] ?? `${status} Error`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

const bearer = [{ HTTPBearer: [] }];

function jsonResponse(description: string, schemaRef: string): Record<string, unknown> {
  return {
    description,
    content: { "application/json": { schema: { $ref: `#/components/schemas/${schemaRef}` } } },
  };
}

const validationError = jsonResponse("Validation Error", "HTTPValidationError");

/** The OpenAPI 3.1 document of the API; with `admin`, the admin API's paths and schemas too. */
export function openApiDocument(options: { admin?: boolean } = {}): Record<string, unknown> {
  const document = {
    openapi: "3.1.0",
    info: { title: "Robocoders AI API", version: "0.1.0" },
    paths: {
      "/auth": {
        get: {
          summary: "Auth",
          description: 'Returns an HTML page whose `<pre id="token">` holds a new access token (HS256 JWT).',
          operationId: "auth_auth_get",
          responses: {
            "200": {
              description: "Successful Response",
              content: { "text/html": { schema: { type: "string" } } },
            },
          },
        },
      },
      "/create-session": {
        get: {
          summary: "Create Session",
          operationId: "create_session_create_session_get",
          responses: { "200": jsonResponse("Successful Response", "SessionResponse") },
          security: bearer,
        },
      },
      "/chat": {
        post: {
          summary: "Chat",
          description:
            "Streams the agent's events, one JSON object per line, until the agent hands the turn back " +
            "(a message waiting for a response, a finish, a reject or an error).",
          operationId: "chat_chat_post",
          requestBody: {
            content: { "application/json": { schema: { $ref: "#/components/schemas/ChatRequest" } } },
            required: true,
          },
          responses: {
            "200": {
              description: "Successful Response",
              content: { "application/x-ndjson": { schema: { type: "string" } } },
            },
            "404": { description: "Session not found" },
            "422": validationError,
          },
          security: bearer,
        },
      },
      "/get-session-code": {
        post: {
          summary: "Get Session Code",
          description: "Adds the GitHub user as a collaborator to the repository holding the session's code.",
          operationId: "get_session_code_get_session_code_post",
          requestBody: {
            content: { "application/json": { schema: { $ref: "#/components/schemas/SessionCodeRequest" } } },
            required: true,
          },
          responses: {
            "200": jsonResponse("Successful Response", "SessionCodeResponse"),
            "404": { description: "Session not found" },
            "422": validationError,
          },
          security: bearer,
        },
      },
    },
    components: {
      schemas: {
        AgentType: {
          type: "string",
          enum: ["GeneralCodingAgent", "RepoAgent", "FrontEndAgent"],
          title: "AgentType",
        },
        ChatRequest: {
          properties: {
            sid: { type: "string", title: "Sid" },
            prompt: { type: "string", title: "Prompt" },
            agent: { $ref: "#/components/schemas/AgentType", default: "GeneralCodingAgent" },
          },
          type: "object",
          required: ["sid", "prompt"],
          title: "ChatRequest",
        },
        SessionResponse: {
          properties: { sid: { type: "string", title: "Sid" } },
          type: "object",
          required: ["sid"],
          title: "SessionResponse",
        },
        SessionCodeRequest: {
          properties: {
            sid: { type: "string", title: "Sid" },
            github_username: { type: "string", title: "Github Username" },
          },
          type: "object",
          required: ["sid", "github_username"],
          title: "SessionCodeRequest",
        },
        SessionCodeResponse: {
          properties: {
            repo_url: { type: "string", title: "Repo Url" },
            message: { type: "string", title: "Message" },
          },
          type: "object",
          required: ["repo_url", "message"],
          title: "SessionCodeResponse",
        },
        HTTPValidationError: {
          properties: {
            detail: {
              items: { $ref: "#/components/schemas/ValidationError" },
              type: "array",
              title: "Detail",
            },
          },
          type: "object",
          title: "HTTPValidationError",
        },
        ValidationError: {
          properties: {
            loc: {
              items: { anyOf: [{ type: "string" }, { type: "integer" }] },
              type: "array",
              title: "Location",
            },
            msg: { type: "string", title: "Message" },
            type: { type: "string", title: "Error Type" },
          },
          type: "object",
          required: ["loc", "msg", "type"],
          title: "ValidationError",
        },
      },
      securitySchemes: { HTTPBearer: { type: "http", scheme: "bearer" } },
    },
  };
  if (options.admin !== true) return document;
  const admin = adminComponents();
  return {
    ...document,
    paths: { ...document.paths, ...adminPaths() },
    components: {
      schemas: { ...document.components.schemas, ...admin.schemas },
      securitySchemes: { ...document.components.securitySchemes, ...admin.securitySchemes },
    },
  };
}
