import { describe, expect, it } from 'vitest';
import { sendInKeyOrder } from './key-order.ts';

interface Event {
  readonly key: string;
  readonly n: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A send that records what was in flight, per key and in all, and what each key saw in which order. */
function recorder(fails: (e: Event) => boolean = () => false) {
  const order = new Map<string, number[]>();
  const inFlightOf = new Map<string, number>();
  let inFlight = 0;
  let most = 0;
  let mostPerKey = 0;
  const send = async (e: Event): Promise<string> => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    inFlightOf.set(e.key, (inFlightOf.get(e.key) ?? 0) + 1);
    mostPerKey = Math.max(mostPerKey, inFlightOf.get(e.key) ?? 0);
    order.set(e.key, [...(order.get(e.key) ?? []), e.n]);
    await sleep((e.n * 7) % 5); // uneven, so that keys finish out of step
    inFlight -= 1;
    inFlightOf.set(e.key, (inFlightOf.get(e.key) ?? 0) - 1);
    if (fails(e)) throw new Error(`refused ${e.key}#${e.n}`);
    return `${e.key}#${e.n}`;
  };
  return { send, order, most: () => most, mostPerKey: () => mostPerKey };
}

describe('sendInKeyOrder', () => {
  it('sends one key in order, one at a time, and different keys side by side up to the limit', async () => {
    const events: Event[] = Array.from({ length: 60 }, (_, n) => ({ key: `k${n % 9}`, n }));
    const r = recorder();
    const results = await sendInKeyOrder(events, (e) => e.key, 4, r.send);
    expect(results).toEqual(events.map((e) => ({ ok: true, value: `${e.key}#${e.n}` }))); // by index
    for (const [key, sent] of r.order) {
      expect(sent).toEqual(events.filter((e) => e.key === key).map((e) => e.n));
    }
    expect(r.mostPerKey()).toBe(1);
    expect(r.most()).toBe(4); // at most the limit, and the limit is used
  });

  it('does not attempt the later events of a key once one failed; other keys go on', async () => {
    const events: Event[] = [
      { key: 'a', n: 0 },
      { key: 'b', n: 1 },
      { key: 'a', n: 2 },
      { key: 'a', n: 3 },
      { key: 'b', n: 4 },
      { key: 'c', n: 5 },
    ];
    const r = recorder((e) => e.n === 2);
    const results = await sendInKeyOrder(events, (e) => e.key, 2, r.send);
    expect(results[0]).toEqual({ ok: true, value: 'a#0' });
    expect(results[1]).toEqual({ ok: true, value: 'b#1' });
    expect(results[2]).toMatchObject({ ok: false, error: new Error('refused a#2') });
    expect(results[3]).toEqual({ ok: false, notAttempted: true });
    expect(results[4]).toEqual({ ok: true, value: 'b#4' });
    expect(results[5]).toEqual({ ok: true, value: 'c#5' });
    expect(r.order.get('a')).toEqual([0, 2]);
  });

  it('takes a send that throws at once as a failure, and an empty batch as nothing to do', async () => {
    const results = await sendInKeyOrder(
      [{ key: 'a', n: 0 }],
      (e) => e.key,
      1,
      () => {
        throw new Error('sync');
      },
    );
    expect(results).toMatchObject([{ ok: false, error: new Error('sync') }]);
    expect(
      await sendInKeyOrder(
        [],
        () => 'k',
        3,
        async () => 1,
      ),
    ).toEqual([]);
    await expect(
      sendInKeyOrder(
        [],
        () => 'k',
        0,
        async () => 1,
      ),
    ).rejects.toThrow(RangeError);
  });
});
