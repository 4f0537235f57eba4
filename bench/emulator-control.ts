// The control API of the stack's Notion and Calendar emulators (services/emulators, /_emulator/...),
// as phases (f) and (g) of `npm run bench:sinks` steer it: a principal's rate, and what it asked.

/** One API request of a principal, as the emulator logged it. */
export interface LoggedRequest {
  readonly at_ms: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

/** A call of the control API of the emulator at `url`; fails naming the call and the answer. */
export async function control<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const where = `${url.replace(/\/$/u, '')}/_emulator/${path}`;
  const response = await fetch(where, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  }).catch((error: unknown) => {
    throw new Error(
      `${method} ${where} failed (${String(error)}): is the local stack up (npm run stack:up)?`,
    );
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${where} answered ${response.status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** The principal's rate limit at the emulator: `perSecond` null lifts it. */
export async function setRate(
  url: string,
  principal: string,
  perSecond: number | null,
  burst?: number,
): Promise<void> {
  await control(url, 'PUT', 'rate', {
    principal,
    per_second: perSecond,
    ...(burst === undefined ? {} : { burst }),
  });
}

/** The burst of the emulator's default rate, as a principal without a rate of its own has it. */
export async function defaultBurst(url: string, principal: string): Promise<number> {
  const path = `rate?principal=${encodeURIComponent(principal)}`;
  const { burst } = await control<{ per_second: number | null; burst?: number }>(url, 'GET', path);
  if (burst === undefined)
    throw new Error(`GET ${url}/_emulator/${path} gave no burst (the default rate is lifted)`);
  return burst;
}

/** Every API request the principal made, answered ones, in arrival order. */
export async function requestLog(url: string, principal: string): Promise<LoggedRequest[]> {
  const path = `requests?principal=${encodeURIComponent(principal)}`;
  return (await control<{ requests: LoggedRequest[] }>(url, 'GET', path)).requests;
}

/** What a principal's log says about its use of the quota. */
export interface RequestCount {
  readonly requests: number;
  /** Answers refusing a request for the rate (`limited` statuses). */
  readonly refused: number;
  /** The most requests that arrived within any one second. */
  readonly peakPerSecond: number;
}

export function countRequests(log: readonly LoggedRequest[], limited: readonly number[]): RequestCount {
  let peakPerSecond = 0;
  for (let from = 0, to = 0; to < log.length; to++) {
    while ((log[to] as LoggedRequest).at_ms - (log[from] as LoggedRequest).at_ms >= 1000) from++;
    peakPerSecond = Math.max(peakPerSecond, to - from + 1);
  }
  return {
    requests: log.length,
    refused: log.filter((request) => limited.includes(request.status)).length,
    peakPerSecond,
  };
}
