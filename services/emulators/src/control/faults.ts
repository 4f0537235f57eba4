/**
 * Faults a test asked for, per principal. A fault is active for `duration_ms` from its creation, or for
 * its next `count` requests, or both (whichever ends first); with neither it covers one request.
 */
export interface FaultSpec {
  readonly kind: string;
  readonly durationMs?: number;
  readonly count?: number;
  readonly delayMs?: number;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

export interface Fault extends FaultSpec {
  readonly id: string;
  readonly principal: string;
  readonly until?: number;
  remaining?: number;
}

export class FaultStore {
  readonly #byPrincipal = new Map<string, Fault[]>();
  #nextId = 1;

  add(principal: string, spec: FaultSpec, now = Date.now()): Fault {
    const fault: Fault = {
      ...spec,
      id: `fault-${this.#nextId++}`,
      principal,
      ...(spec.durationMs !== undefined ? { until: now + spec.durationMs } : {}),
      ...(spec.count !== undefined || spec.durationMs === undefined ? { remaining: spec.count ?? 1 } : {}),
    };
    const list = this.#byPrincipal.get(principal) ?? [];
    list.push(fault);
    this.#byPrincipal.set(principal, list);
    return fault;
  }

  clear(principal: string): number {
    const n = this.#byPrincipal.get(principal)?.length ?? 0;
    this.#byPrincipal.delete(principal);
    return n;
  }

  /**
   * The faults that apply to one request of `principal`, in creation order; each consumes one of its
   * `count`. Expired faults are dropped here so the store does not grow during long storms.
   */
  take(principal: string, now = Date.now()): Fault[] {
    const list = this.#byPrincipal.get(principal);
    if (!list) return [];
    const alive = list.filter((f) => (f.until === undefined || now < f.until) && f.remaining !== 0);
    for (const f of alive) if (f.remaining !== undefined) f.remaining -= 1;
    const kept = alive.filter((f) => f.remaining !== 0);
    if (kept.length) this.#byPrincipal.set(principal, kept);
    else this.#byPrincipal.delete(principal);
    return alive;
  }
}
