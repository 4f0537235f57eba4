/** The fate of one event sent by sendInKeyOrder. */
export type KeyedResult<R> =
  | { readonly ok: true; readonly value: R }
  | { readonly ok: false; readonly error: unknown }
  /** An earlier event of its key failed: sending this one would overtake it. */
  | { readonly ok: false; readonly notAttempted: true };

const NOT_ATTEMPTED = { ok: false, notAttempted: true } as const;

/**
 * Sends every event, and returns what became of each, by index. Events of one key go one after
 * the other in the order given; different keys go concurrently, at most `concurrency` requests
 * at a time. Once an event of a key fails, the later events of that key are not attempted, so
 * that a retry of the batch can never leave a later change in front of an earlier one.
 * It never rejects: failures are results.
 */
export async function sendInKeyOrder<E, R>(
  events: readonly E[],
  keyOf: (event: E) => string,
  concurrency: number,
  send: (event: E) => Promise<R>,
): Promise<KeyedResult<R>[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError('concurrency must be a whole number of at least 1');
  }
  const lanes = new Map<string, number[]>();
  events.forEach((event, index) => {
    const key = keyOf(event);
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  const results = new Array<KeyedResult<R>>(events.length);
  const queue = [...lanes.values()];
  let next = 0;
  // Each worker takes a whole key at a time: one request in flight per worker, and per key.
  const worker = async (): Promise<void> => {
    while (next < queue.length) {
      const lane = queue[next++] as number[];
      let failed = false;
      for (const index of lane) {
        if (failed) {
          results[index] = NOT_ATTEMPTED;
          continue;
        }
        try {
          results[index] = { ok: true, value: await send(events[index] as E) };
        } catch (error) {
          results[index] = { ok: false, error };
          failed = true;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
  return results;
}
