/**
 * The fault rules of one emulator instance, and the choice of the faults that apply to a request:
 * instance rules first, then the request's header specs and prompt directives (later ones win).
 */
import { faultNames, mergeFaults, parseFaultSpec, ruleEndpoints } from "./faults.js";
import type { EmulatorOptions, EndpointName, FaultRule, Faults } from "./types.js";

/** An instance rule and how many more requests it fires on. */
export interface ActiveFaultRule {
  rule: FaultRule;
  /** Requests left (`Infinity` for a rule without `count`). */
  remaining: number;
}

/** Every rule in `faults`, with spec strings parsed. */
export function normalizeRules(faults: EmulatorOptions["faults"], longLineBytes: number): FaultRule[] {
  if (faults === undefined) return [];
  const list = Array.isArray(faults) ? faults : [faults];
  return list.map((item: FaultRule | string) =>
    typeof item === "string" ? parseFaultSpec(item, longLineBytes) : item,
  );
}

/**
 * The faults a response really applied, by name (`status:503`, `cut-mid-line`, ...): a status replaces
 * everything else, and outside `/chat` only `expired-token` and `slow-first-byte` have an effect.
 */
export function appliedFaultNames(faults: Faults, endpoint: EndpointName): string[] {
  if (faults.status !== undefined) return [`status:${faults.status}`];
  const names = faultNames(faults);
  if (endpoint === "chat") return names;
  return names.filter((name) => name === "expired-token" || name === "slow-first-byte");
}

/** The instance's fault rules and the per-spec use counts of header and prompt specs. */
export class FaultRules {
  #rules: ActiveFaultRule[] = [];
  readonly #specUses = new Map<string, number>();

  /** @param longLineBytes the `long-line` size when a spec gives none. */
  constructor(readonly longLineBytes: number) {}

  /** The active rules, oldest first (spent rules included, with `remaining: 0`). */
  list(): readonly ActiveFaultRule[] {
    return this.#rules;
  }

  /** Replaces every rule. @throws {FaultSpecError} for a spec that does not parse (nothing changes). */
  set(faults: EmulatorOptions["faults"]): void {
    this.#rules = normalizeRules(faults, this.longLineBytes).map(activate);
  }

  /** Adds one rule and returns it parsed. @throws {FaultSpecError} for a spec that does not parse. */
  add(fault: FaultRule | string): FaultRule {
    const rule = typeof fault === "string" ? parseFaultSpec(fault, this.longLineBytes) : fault;
    this.#rules.push(activate(rule));
    return rule;
  }

  /** Removes every rule. */
  clear(): void {
    this.#rules = [];
  }

  /** Forgets how often each header or prompt spec fired, so counted specs fire again. */
  resetSpecCounts(): void {
    this.#specUses.clear();
  }

  /**
   * The faults for one request to `endpoint`, given its header and prompt specs; consumes one use of
   * each rule and counted spec that fires.
   * @throws {FaultSpecError} for a spec that does not parse.
   */
  select(endpoint: EndpointName, specs: readonly string[]): Faults {
    const sets: Faults[] = [];
    for (const active of this.#rules) {
      if (active.remaining > 0 && ruleEndpoints(active.rule).includes(endpoint)) {
        active.remaining -= 1;
        sets.push(active.rule);
      }
    }
    for (const spec of specs) {
      const rule = parseFaultSpec(spec, this.longLineBytes);
      if (!ruleEndpoints(rule).includes(endpoint)) continue;
      const key = spec.trim();
      const used = this.#specUses.get(key) ?? 0;
      if (rule.count !== undefined && used >= rule.count) continue;
      this.#specUses.set(key, used + 1);
      sets.push(rule);
    }
    return mergeFaults(sets);
  }
}

function activate(rule: FaultRule): ActiveFaultRule {
  return { rule, remaining: rule.count ?? Number.POSITIVE_INFINITY };
}
