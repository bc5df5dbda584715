/**
 * `robocoders/emulator`: an offline emulator of the Robocoders AI API for tests, demos and benchmarks.
 *
 * @example
 * import { startEmulator } from "robocoders/emulator";
 * const emulator = await startEmulator({ port: 8787 });
 * console.log(emulator.url);
 */
export { FAULT_HEADER, FaultSpecError, parseFaultSpec, VERBOSE_HEADER } from "./faults.js";
export { PyFloat, type PyValue, pyDumps, pyIsoTimestamp } from "./py-json.js";
export { startEmulator } from "./server.js";
export * from "./types.js";
