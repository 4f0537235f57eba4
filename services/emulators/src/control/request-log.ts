/** What each principal asked of the API, for tests that check retries, back-off and batching. */
export interface LoggedRequest {
  readonly at_ms: number;
  readonly method: string;
  readonly path: string;
  status?: number;
}

export class RequestLog {
  readonly #byPrincipal = new Map<string, LoggedRequest[]>();

  /** Called on arrival so the log keeps arrival order; the status is filled in when the answer is sent. */
  start(principal: string, method: string, path: string, now = Date.now()): LoggedRequest {
    const entry: LoggedRequest = { at_ms: now, method, path };
    const list = this.#byPrincipal.get(principal) ?? [];
    list.push(entry);
    this.#byPrincipal.set(principal, list);
    return entry;
  }

  /** Only answered requests: one still in flight has no status yet to report. */
  of(principal: string): LoggedRequest[] {
    return (this.#byPrincipal.get(principal) ?? []).filter((r) => r.status !== undefined);
  }

  clear(principal: string): void {
    this.#byPrincipal.delete(principal);
  }
}
