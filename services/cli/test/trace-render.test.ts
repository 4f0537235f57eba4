import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { analyseTrace } from '../src/trace/hop-analysis.ts';
import { conflictFacts, traceIdOf } from '../src/trace/record-facts.ts';
import { lag, renderNotFound, renderTrace } from '../src/trace/render-trace.ts';
import { positionKey } from '../src/trace/trace-facts.ts';
import { sinkSpans } from '../src/trace/zipkin.ts';
import { SOURCE, VALID, change, facts, v } from './trace-fixtures.ts';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('cdc trace output', () => {
  it('prints one block per hop, one aligned line per event, reasons and trace links below', () => {
    const report = analyseTrace(
      facts({
        tracingUrl: 'http://127.0.0.1:9411',
        traces: new Map([[TRACE, { status: 'found', spans: [] }]]),
        changes: new Map([
          [
            SOURCE,
            [
              change(SOURCE, 4, v(0x1_6b37_4800), Date.UTC(2025, 5, 1, 10), { op: 'c', traceId: TRACE }),
              change(SOURCE, 9, v(0x1_6b37_4900, 2), Date.UTC(2025, 5, 1, 11)),
            ],
          ],
          [VALID, [change(VALID, 3, v(0x1_6b37_4800), Date.UTC(2025, 5, 1, 10) + 1_500)]],
        ]),
        deadLetters: new Map([
          [
            `${SOURCE}.dlq`,
            [
              {
                partition: 1,
                offset: '0',
                timestampMs: 0,
                by: 'check',
                origin: { topic: SOURCE, partition: 1, offset: '9' },
                version: null,
                reasons: [
                  { rule: 'required', field: 'mrn', message: 'mrn is required' },
                  { rule: 'format', field: 'email', message: 'email must be an email address' },
                ],
                atMs: Date.UTC(2025, 5, 1, 11) + 20,
              },
            ],
          ],
        ]),
        positions: new Map([
          [positionKey('cdc-sink.cache', VALID, 1), { committed: '4', head: '4' }],
          [positionKey('cdc-sink.records', SOURCE, 1), { committed: '10', head: '10' }],
        ]),
        targets: new Map([
          ['cache', { kind: 'holds', version: v(0x1_6b37_4800) }],
          ['records', { kind: 'holds', version: v(0x1_6b37_4900, 2) }],
        ]),
      }),
    );
    expect(renderTrace(report).split('\n')).toEqual([
      'public.patients 42: 2 events (versions are commit LSN#seq)',
      '',
      'source  shop.public.patients (partition 1)',
      '  1/6B374800#0  insert  +10 ms  committed 2025-06-01T09:59:59.990Z, in Kafka 2025-06-01T10:00:00.000Z (partition 1, offset 4)',
      `                                trace ${TRACE}: http://127.0.0.1:9411/zipkin/traces/${TRACE}`,
      '  1/6B374900#2  update  +10 ms  committed 2025-06-01T10:59:59.990Z, in Kafka 2025-06-01T11:00:00.000Z (partition 1, offset 9)',
      '                                no trace context (the record has no traceparent header)',
      '',
      'processor check (validate)  shop.public.patients -> shop.public.patients.valid',
      '  1/6B374800#0  forwarded      +1.5 s  forwarded to shop.public.patients.valid (offset 3)',
      '  1/6B374900#2  dead-lettered  +20 ms  dead-lettered by check to shop.public.patients.dlq (offset 0)',
      '                                       required mrn: mrn is required',
      '                                       format email: email must be an email address',
      '',
      'sink cache (redis)  reads shop.public.patients.valid; the target holds 1/6B374800#0',
      '  1/6B374800#0  written  -  written: the version the target holds',
      '',
      'sink records (mongodb)  reads shop.public.patients; the target holds 1/6B374900#2',
      '  1/6B374800#0  superseded  -  superseded by 1/6B374900#2 (written, or stale on arrival)',
      '  1/6B374900#2  written     -  written: the version the target holds',
    ]);
  });

  it('says which hops no event reached, and how many earlier events it left out', () => {
    const report = analyseTrace(
      facts({
        last: 1,
        changes: new Map([
          [
            SOURCE,
            [
              change(SOURCE, 0, v(1), 1_000, { op: 'c' }),
              change(SOURCE, 1, v(2), 2_000, { op: 'd', keyChange: { to: '{"id":43}' } }),
            ],
          ],
        ]),
      }),
    );
    const text = renderTrace(report);
    expect(text).toMatch(/^public\.patients 42: 1 event, 1 earlier not shown \(--last\)/);
    expect(text).toContain('0/2#0  delete');
    expect(text).toContain('the key changed to {"id":43}: trace that key too');
    expect(text).toContain(
      'sink cache (redis)  reads shop.public.patients.valid; the target cannot say which version it holds\n  no event of the row reached it',
    );
  });

  it('words a key not found with the topic, what was read and the fields its keys have', () => {
    const report = analyseTrace(facts({ key: 'id=7' }));
    expect(
      renderNotFound(report, { topic: SOURCE, exists: true, partitions: 3, keyFields: ['tenant', 'id'] }),
    ).toBe(
      'no event of public.patients with key id=7 in shop.public.patients (3 partitions read from the beginning; its keys have the fields tenant, id)',
    );
    expect(renderNotFound(report, { topic: SOURCE, exists: false, partitions: 0, keyFields: [] })).toMatch(
      /Kafka has no topic shop\.public\.patients yet/,
    );
  });

  it('writes lags in a unit that fits', () => {
    expect([lag(null), lag(12), lag(1_500), lag(150_000), lag(7_200_000), lag(-40)]).toEqual([
      '-',
      '+12 ms',
      '+1.5 s',
      '+2.5 min',
      '+2.0 h',
      '-40 ms',
    ]);
  });
});

describe('cdc trace record facts', () => {
  it('reads the trace id of a traceparent, and none of an invalid one', () => {
    expect(traceIdOf(`00-${TRACE}-b7ad6b7169203331-01`)).toBe(TRACE);
    expect(traceIdOf(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`)).toBeNull();
    expect(traceIdOf('garbage')).toBeNull();
    expect(traceIdOf(undefined)).toBeNull();
  });

  it('reads conflict records as the sink runtime writes them, and passes over others', () => {
    const message = (value: string | null) =>
      ({
        offset: '5',
        timestamp: '0',
        key: null,
        value: value === null ? null : Buffer.from(value),
      }) as KafkaMessage;
    const body = {
      sink: 'records',
      topic: SOURCE,
      partition: 1,
      offset: '12',
      key: { id: '42' },
      version: { commit_lsn: '23803720', seq: '1' },
      policy: 'merge',
      resolution: 'merged',
      changed_fields: ['email'],
      target: {},
      source: {},
      detected_at: '2025-06-01T10:00:00.000Z',
    };
    expect(
      conflictFacts([
        { topic: `${SOURCE}.conflicts`, partition: 1, key: {}, message: message(JSON.stringify(body)) },
        { topic: `${SOURCE}.conflicts`, partition: 1, key: {}, message: message('not json') },
        { topic: `${SOURCE}.conflicts`, partition: 1, key: {}, message: message(null) },
      ]),
    ).toEqual([
      {
        sink: 'records',
        topic: SOURCE,
        partition: 1,
        offset: '12',
        version: { commitLsn: 23803720n, seq: 1n },
        policy: 'merge',
        resolution: 'merged',
        changedFields: ['email'],
        detectedAtMs: Date.UTC(2025, 5, 1, 10),
      },
    ]);
  });

  it('reads sink spans of a Zipkin trace: the sink, the record, cdc.outcome and cdc.version', () => {
    const spans = sinkSpans([
      { traceId: TRACE, id: 'a', name: 'cdc.source', timestamp: 1_000_000, duration: 10, tags: {} },
      {
        traceId: TRACE,
        id: 'b',
        name: 'cdc.sink cache',
        timestamp: 2_000_000,
        duration: 5_000,
        tags: {
          'cdc.sink': 'cache',
          'messaging.destination.name': VALID,
          'messaging.kafka.offset': '3',
          'cdc.outcome': 'written',
          'cdc.version': '000000016b374800/0000000000000002',
        },
      },
      {
        traceId: TRACE,
        id: 'c',
        name: 'cdc.sink records',
        timestamp: 3_000_000,
        tags: { 'cdc.sink': 'records', 'cdc.outcome': 'stale', 'cdc.version': '6090606592/2' },
      },
    ]);
    expect(spans).toEqual([
      {
        sink: 'cache',
        topic: VALID,
        offset: '3',
        outcome: 'written',
        version: v(0x1_6b37_4800, 2),
        endMs: 2_005,
      },
      {
        sink: 'records',
        topic: null,
        offset: null,
        outcome: 'stale',
        version: v(6090606592, 2),
        endMs: 3_000,
      },
    ]);
    expect(sinkSpans({ not: 'a trace' })).toEqual([]);
  });
});
