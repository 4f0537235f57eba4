import { describe, expect, it } from 'vitest';
import { deadLetterTopicOf } from '../src/dlq.ts';
import { parseReplayFrom } from '../src/sink-replay.ts';

describe('cdc sink replay --from', () => {
  it('takes beginning, an offset or an ISO 8601 time', () => {
    expect(parseReplayFrom('beginning')).toEqual({ kind: 'beginning' });
    expect(parseReplayFrom('1200')).toEqual({ kind: 'offset', offset: '1200' });
    expect(parseReplayFrom('2024-05-01T08:00:00Z')).toEqual({
      kind: 'timestamp',
      ms: Date.UTC(2024, 4, 1, 8),
    });
    expect(parseReplayFrom('2024-05-01')).toEqual({ kind: 'timestamp', ms: Date.UTC(2024, 4, 1) });
  });

  it('refuses anything else with the forms it accepts', () => {
    for (const text of ['yesterday', '-5', '12.5', '2024-13-45'])
      expect(() => parseReplayFrom(text)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

describe('cdc dlq <topic>', () => {
  it('accepts the topic with or without .dlq', () => {
    expect(deadLetterTopicOf('cdc.public.patients')).toBe('cdc.public.patients.dlq');
    expect(deadLetterTopicOf('cdc.public.patients.dlq')).toBe('cdc.public.patients.dlq');
  });
});
