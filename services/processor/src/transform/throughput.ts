import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import type { AvroRecord } from '@cdc/core';
import type { Row } from '../row.ts';
import { compileSteps } from './steps.ts';
import { stepsSchema } from './step-config.ts';

// Throughput of a typical chain: `node services/processor/src/transform/throughput.ts`.

const input: AvroRecord = {
  type: 'record',
  name: 'Value',
  namespace: 'cdc.public.patients',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'full_name', type: ['null', 'string'], default: null },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'phone', type: ['null', 'string'], default: null },
    { name: 'ssn', type: ['null', 'string'], default: null },
    { name: 'facility_id', type: ['null', 'int'], default: null },
    { name: 'appointment', type: ['null', { type: 'long', logicalType: 'timestamp-micros' }], default: null },
    { name: 'weight', type: ['null', 'double'], default: null },
    { name: 'notes', type: ['null', 'string'], default: null },
    { name: 'active', type: 'boolean' },
  ],
};

const ROWS = 1000;
const rows: Row[] = Array.from({ length: ROWS }, (_, i) => ({
  id: BigInt(i),
  full_name: `  ada LOVELACE ${i} `,
  email: ` Ada.${i}@Example.ORG `,
  phone: `06 12 34 ${String(i % 100).padStart(2, '0')} 78`,
  ssn: `18505123${String(i).padStart(5, '0')}`,
  facility_id: i % 20,
  appointment: 1_709_285_400_123_456n + BigInt(i) * 60_000_000n,
  weight: 60 + (i % 30),
  notes: 'likes numbers',
  active: i % 2 === 0,
}));

const common = `
- drop: [notes]
- rename: { full_name: name }
- normalise: { field: name, trim: true, case: title }
- normalise: { field: email, email: true }
- mask: { field: ssn, method: hash, salt_env: SALT }
- coerce: { field: facility_id, to: string }
- compute: { field: label, expr: "concat(name, ' #', id)", type: string }
`;

function chain(extra: string) {
  const steps = stepsSchema.parse(parse(common + extra));
  return compileSteps(steps, { env: { SALT: 'pepper' } }).forSchema(input);
}

const withPhone = chain('- normalise: { field: phone, phone: { region: FR } }');
const withTimezone = chain('- normalise: { field: appointment, timezone: Europe/Paris }');
const none: readonly string[] = [];
const bound8 = withPhone;

function measure(label: string, bound: typeof withPhone): void {
  for (let i = 0; i < 20; i++) for (const row of rows) bound.apply(row, none); // warm-up
  let applied = 0;
  const start = performance.now();
  while (performance.now() - start < 2000) {
    for (const row of rows) bound.apply(row, none);
    applied += rows.length;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`${label}: ${Math.round(applied / seconds).toLocaleString('en')} rows/s`);
}

console.log(`8 steps on a 10-field row (${bound8.output.fields.length} output fields):`);
measure('with phone normalisation', withPhone);
measure('with timezone normalisation', withTimezone);
measure('without either (7 steps)', chain(''));
