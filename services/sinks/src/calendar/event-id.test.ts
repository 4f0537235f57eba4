import { describe, expect, it } from 'vitest';
import { base32hex, eventIdOf, isEventId } from './event-id.ts';

// Event ids are chosen by the sink, so that an insert is idempotent: Calendar takes ids of
// base32hex characters (a-v, 0-9), 5 to 1024 long
// (https://developers.google.com/workspace/calendar/api/v3/reference/events/insert).

describe('base32hex', () => {
  it('encodes as RFC 4648 §10 says (lower case, no padding)', () => {
    const encode = (text: string) => base32hex(Buffer.from(text));
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map(encode)).toEqual([
      '',
      'co',
      'cpng',
      'cpnmu',
      'cpnmuog',
      'cpnmuoj1',
      'cpnmuoj1e8',
    ]);
  });
});

describe('eventIdOf', () => {
  it('gives a valid Calendar id, the same for the same sink, table and key', () => {
    const id = eventIdOf('clinic', 'public.appointments', { id: 7n });
    expect(isEventId(id)).toBe(true);
    expect(id).toHaveLength(52);
    expect(eventIdOf('clinic', 'public.appointments', { id: 7n })).toBe(id);
  });

  it('differs for another sink, table or key, and ignores the order of key fields', () => {
    const id = eventIdOf('clinic', 'public.appointments', { clinic: 1n, id: 7n });
    expect(eventIdOf('clinic', 'public.appointments', { id: 7n, clinic: 1n })).toBe(id);
    expect(
      new Set([
        id,
        eventIdOf('other', 'public.appointments', { clinic: 1n, id: 7n }),
        eventIdOf('clinic', 'public.visits', { clinic: 1n, id: 7n }),
        eventIdOf('clinic', 'public.appointments', { clinic: 1n, id: 8n }),
        // A key of text '7' is not the key of the number 7.
        eventIdOf('clinic', 'public.appointments', { clinic: 1n, id: '7' }),
      ]).size,
    ).toBe(5);
  });

  it('tells Calendar ids from others', () => {
    expect(isEventId('abcd')).toBe(false); // too short
    expect(isEventId('abcdw')).toBe(false); // w is not base32hex
    expect(isEventId('ABCDE')).toBe(false);
    expect(isEventId('a'.repeat(1024))).toBe(true);
    expect(isEventId('a'.repeat(1025))).toBe(false);
  });
});
