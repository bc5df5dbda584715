/**
 * `robocoders/emulator`: an offline emulator of the Robocoders AI API for tests, demos and benchmarks.
 *
 * @example
 * import { startEmulator } from "robocoders/emulator";
 * const emulator = await startEmulator({ port: 8787 });
 * console.log(emulator.url);
 * // ...
 * await emulator.close();
 */

export { type PyDumpsOptions, PyFloat, type PyValue, pyDumps, pyIsoTimestamp } from "../core/python-json.js";
export { ADMIN_PREFIX } from "./admin.js";
export { ADMIN_TOKEN_HEADER } from "./admin-guard.js";
export { describeEmulator } from "./describe.js";
export {
  extractDirectives,
  FAULT_HEADER,
  FaultSpecError,
  type PromptDirectives,
  parseFaultRule,
  parseFaultSpec,
  VERBOSE_HEADER,
} from "./faults.js";
export { formatRequestLogLine } from "./request-log.js";
export { startEmulator } from "./server.js";
export * from "./types.js";
