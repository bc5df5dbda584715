/**
 * The bind safety rule: the gateway refuses a non-loopback address without an API key unless forced.
 */
import { InvalidArgumentError } from "../core/errors.js";
import { API_KEY_ENV } from "./options.js";

/**
 * Thrown by {@link startServer} for a non-loopback `host` without an API key and without `force`.
 * Its `code` is `invalid_argument` (the CLI exits with status 2).
 */
export class InsecureBindError extends InvalidArgumentError {
  /** The requested host. */
  readonly host: string;

  constructor(host: string) {
    super(
      `Refusing to listen on ${host} without an API key: anyone who can reach this address could use your ` +
        `Robocoders account. Set an API key (--api-key or ${API_KEY_ENV}) or force it (--force).`,
    );
    this.host = host;
  }
}

/** True for `localhost`, `127.0.0.0/8`, `::1` and their IPv4-mapped forms. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  const v4 = h.startsWith("::ffff:") ? h.slice("::ffff:".length) : h;
  return /^127(?:\.\d{1,3}){3}$/.test(v4);
}
