/**
 * `robocoders keys add|list|revoke`: the API keys of gateways that share a store (`--store redis://…`).
 * A key is printed once, when added; the store keeps only its hash. Registered by {@link addKeysCommand};
 * the store is loaded only when a subcommand runs.
 */
import { type Command, Option } from "commander";
import type { ApiKeyRecord, Store } from "../../store/index.js";
import type { CliIO, GlobalOptions } from "../context.js";
import { paletteFor } from "../context.js";
import { UsageError } from "../exit-codes.js";

/** Options of every `keys` subcommand. */
export interface KeysOptions {
  /** `--store <url>`: the shared store. Default: `ROBOCODERS_STORE` (required: keys need a shared store). */
  store?: string;
  /** `--store-prefix <prefix>`: prefix of every key. Default: `ROBOCODERS_STORE_PREFIX`, else `robocoders:`. */
  storePrefix?: string;
  /** `--json`: print JSON. Default: false. */
  json?: boolean;
}

function storeOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--store <url>", "the gateways' shared store: redis://host:port or rediss://…").env(
        "ROBOCODERS_STORE",
      ),
    )
    .addOption(
      new Option("--store-prefix <prefix>", "prefix of every key in the store (default: robocoders:)").env(
        "ROBOCODERS_STORE_PREFIX",
      ),
    );
}

async function withStore<T>(opts: KeysOptions, io: CliIO, use: (store: Store) => Promise<T>): Promise<T> {
  const { isMemoryStore, openStore } = await import("../../store/index.js");
  if (isMemoryStore(opts.store)) {
    throw new UsageError(
      "API keys live in the gateways' shared store.",
      "Pass --store redis://host:port (or set ROBOCODERS_STORE) as given to `robocoders serve`.",
    );
  }
  const store = await openStore(opts.store, {
    env: io.env,
    ...(opts.storePrefix !== undefined ? { prefix: opts.storePrefix } : {}),
  });
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Runs `robocoders keys add <name>`: prints the new key alone on stdout (or JSON with `--json`). */
export async function runKeysAdd(name: string, opts: KeysOptions, globals: GlobalOptions, io: CliIO) {
  const { ApiKeys } = await import("../../store/index.js");
  const added = await withStore(opts, io, (store) => new ApiKeys(store).add(name));
  if (opts.json === true) {
    io.stdout.write(`${JSON.stringify(added)}\n`);
    return;
  }
  io.stdout.write(`${added.key}\n`);
  const c = paletteFor(io.stderr, io.env, globals.color);
  io.stderr.write(
    `${c.green("✔")} Added ${c.bold(added.id)} (${added.name}). The key is shown only this once: keep it now.\n`,
  );
}

/** Runs `robocoders keys list`: id, name, hint and creation time of each key (never a key). */
export async function runKeysList(opts: KeysOptions, globals: GlobalOptions, io: CliIO) {
  const { ApiKeys } = await import("../../store/index.js");
  const records = await withStore(opts, io, (store) => new ApiKeys(store).list());
  if (opts.json === true) {
    io.stdout.write(`${JSON.stringify(records)}\n`);
    return;
  }
  if (records.length === 0) {
    io.stderr.write("No API keys. Add one with `robocoders keys add <name>`.\n");
    return;
  }
  const c = paletteFor(io.stdout, io.env, globals.color);
  const rows: string[][] = [
    ["ID", "NAME", "KEY", "CREATED"],
    ...records.map((r: ApiKeyRecord) => [r.id, r.name, r.hint, r.createdAt]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  rows.forEach((row, index) => {
    const line = row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ");
    io.stdout.write(`${index === 0 ? c.dim(line) : line}\n`);
  });
}

/** Runs `robocoders keys revoke <id>`: the key stops working on every gateway within a second. */
export async function runKeysRevoke(id: string, opts: KeysOptions, globals: GlobalOptions, io: CliIO) {
  const { ApiKeys } = await import("../../store/index.js");
  const revoked = await withStore(opts, io, (store) => new ApiKeys(store).revoke(id));
  if (revoked === undefined) {
    throw new UsageError(`No API key has the id "${id.slice(0, 40)}".`, "See `robocoders keys list`.");
  }
  if (opts.json === true) {
    io.stdout.write(`${JSON.stringify(revoked)}\n`);
    return;
  }
  const c = paletteFor(io.stderr, io.env, globals.color);
  io.stderr.write(`${c.green("✔")} Revoked ${c.bold(revoked.id)} (${revoked.name}).\n`);
}

/** Adds `keys add|list|revoke` to the program. */
export function addKeysCommand(program: Command, io: CliIO): void {
  const globals = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
  const keys = program
    .command("keys")
    .description("manage the API keys of gateways that share a store (--store redis://…)");
  storeOptions(
    keys
      .command("add")
      .description("add a key and print it (shown only this once; the store keeps its hash)")
      .argument("<name>", "what the key is for, e.g. the team or the CI job"),
  )
    .option("--json", "print a JSON object (the key included)")
    .action(async (name: string, opts: KeysOptions, command: Command) => {
      await runKeysAdd(name, opts, globals(command), io);
    });
  storeOptions(keys.command("list").description("list the keys: id, name, first characters, creation time"))
    .option("--json", "print a JSON array")
    .action(async (opts: KeysOptions, command: Command) => {
      await runKeysList(opts, globals(command), io);
    });
  storeOptions(
    keys
      .command("revoke")
      .description("revoke a key on every gateway (within a second)")
      .argument("<id>", "the key's id, from `robocoders keys list`"),
  )
    .option("--json", "print the revoked key's record")
    .action(async (id: string, opts: KeysOptions, command: Command) => {
      await runKeysRevoke(id, opts, globals(command), io);
    });
}
