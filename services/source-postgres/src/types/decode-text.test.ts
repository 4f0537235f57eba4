import { CdcError } from '@cdc/core';
import { describe, expect, it } from 'vitest';
import { type ColumnKind, type ColumnValue } from './column-kind.ts';
import { decodeText } from './decode-text.ts';

// Every input below is text PostgreSQL 15 printed under REPLICATION_SESSION_SETTINGS (DateStyle
// ISO, IntervalStyle iso_8601, TimeZone UTC unless an offset is shown, extra_float_digits 3,
// bytea_output hex). Day and microsecond expectations were computed by PostgreSQL itself:
//   select d - date '1970-01-01'                                       -- dates
//   select (u::date - date '1970-01-01')::numeric * 86400000000
//          + extract(epoch from u::time) * 1000000                       -- timestamps
// with u = the value (timestamptz: `at time zone 'UTC'`), and extract(epoch from t) * 1000000 for
// times. (extract(epoch from timestamp) itself rounds near the year 294276.)

const int16: ColumnKind = { kind: 'int16' };
const int32: ColumnKind = { kind: 'int32' };
const int64: ColumnKind = { kind: 'int64' };
const float32: ColumnKind = { kind: 'float32' };
const float64: ColumnKind = { kind: 'float64' };
const date: ColumnKind = { kind: 'date' };
const time: ColumnKind = { kind: 'time' };
const timestamp: ColumnKind = { kind: 'timestamp' };
const timestamptz: ColumnKind = { kind: 'timestamptz' };
const decimal = (precision: number, scale: number): ColumnKind => ({ kind: 'decimal', precision, scale });
const arrayOf = (element: ColumnKind): ColumnKind => ({ kind: 'array', element });

type Case = [name: string, kind: ColumnKind, text: string, expected: ColumnValue];

const cases: Case[] = [
  ['smallint max', int16, '32767', 32767],
  ['smallint min', int16, '-32768', -32768],
  ['integer min', int32, '-2147483648', -2147483648],
  ['bigint max (beyond 2^53)', int64, '9223372036854775807', 9223372036854775807n],
  ['bigint min', int64, '-9223372036854775808', -9223372036854775808n],
  ['bigint 2^53 + 1', int64, '9007199254740993', 9007199254740993n],

  ['real 0.1', float32, '0.1', Math.fround(0.1)],
  ['real max', float32, '-3.4028235e+38', Math.fround(-3.4028235e38)],
  ['real smallest subnormal', float32, '1e-45', Math.fround(1e-45)],
  ['real NaN', float32, 'NaN', NaN],
  ['double round-trip digits', float64, '0.30000000000000004', 0.30000000000000004],
  ['double max', float64, '1.7976931348623157e+308', 1.7976931348623157e308],
  ['double smallest subnormal', float64, '5e-324', 5e-324],
  ['double negative zero', float64, '-0', -0],
  ['double Infinity', float64, 'Infinity', Infinity],
  ['double -Infinity', float64, '-Infinity', -Infinity],
  ['double NaN', float64, 'NaN', NaN],

  ['numeric(6,3) as printed', decimal(6, 3), '12.300', '12.300'],
  ['numeric(6,3) padded defensively', decimal(6, 3), '12.3', '12.300'],
  ['numeric(6,3) zero-only extra digits dropped', decimal(6, 3), '12.30000', '12.300'],
  ['numeric(6,3) full precision', decimal(6, 3), '-999.999', '-999.999'],
  ['numeric(5,5) no integer digits', decimal(5, 5), '0.12345', '0.12345'],
  ['numeric(10,0)', decimal(10, 0), '1234567890', '1234567890'],
  ['numeric(3,1) negative', decimal(3, 1), '-12.3', '-12.3'],
  ['numeric: a stray minus zero loses its sign', decimal(4, 2), '-0.00', '0.00'],
  [
    'numeric without precision: exact text',
    { kind: 'numeric-text' },
    '0.00000000000000000001',
    '0.00000000000000000001',
  ],
  ['numeric without precision: NaN is text', { kind: 'numeric-text' }, 'NaN', 'NaN'],
  ['money keeps its text', { kind: 'numeric-text' }, '-$1,234.50', '-$1,234.50'],

  ['bool true', { kind: 'bool' }, 't', true],
  ['bool false', { kind: 'bool' }, 'f', false],

  ['empty text', { kind: 'text' }, '', ''],
  ['unicode text', { kind: 'text' }, 'héllo 👋', 'héllo 👋'],
  ['text that looks like NULL', { kind: 'text' }, 'NULL', 'NULL'],
  ['uuid', { kind: 'uuid' }, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  ['json keeps its spacing', { kind: 'json' }, '{"a": [1, "ü"]}', '{"a": [1, "ü"]}'],
  ['interval', { kind: 'interval' }, 'P1Y2M3DT4H5M6.789S', 'P1Y2M3DT4H5M6.789S'],
  [
    'interval with mixed signs',
    { kind: 'interval' },
    'P-1Y-2M3DT-4H-5M-6.000001S',
    'P-1Y-2M3DT-4H-5M-6.000001S',
  ],
  ['inet', { kind: 'other', typeName: 'inet' }, '192.168.0.1/24', '192.168.0.1/24'],

  ['date epoch', date, '1970-01-01', 0],
  ['date before epoch', date, '1969-12-31', -1],
  ['date leap day', date, '2024-02-29', 19782],
  ['date 1900-03-01 (no leap day in 1900)', date, '1900-03-01', -25508],
  ['date 2000-03-01 (leap day in 2000)', date, '2000-03-01', 11017],
  ['date AD 1', date, '0001-01-01', -719162],
  ['date 1 BC (astronomical year 0)', date, '0001-01-01 BC', -719528],
  ['date 44 BC', date, '0044-03-15 BC', -735160],
  ['date min', date, '4714-11-24 BC', -2440588],
  ['date max', date, '5874897-12-31', 2145042905],
  ['date infinity', date, 'infinity', 2147483647],
  ['date -infinity', date, '-infinity', -2147483648],

  ['time midnight', time, '00:00:00', 0n],
  ['time one digit fraction', time, '00:00:00.1', 100000n],
  ['time milliseconds', time, '12:34:56.789', 45296789000n],
  ['time last microsecond', time, '23:59:59.999999', 86399999999n],
  ['time 24:00:00', time, '24:00:00', 86400000000n],

  ['timestamp epoch', timestamp, '1970-01-01 00:00:00', 0n],
  ['timestamp half second', timestamp, '2020-01-01 12:00:00.5', 1577880000500000n],
  ['timestamp microseconds', timestamp, '2024-02-29 23:59:59.999999', 1709251199999999n],
  ['timestamp just before epoch', timestamp, '1969-12-31 23:59:59.999999', -1n],
  ['timestamp 44 BC', timestamp, '0044-03-15 12:30:00.000001 BC', -63517778999999999n],
  ['timestamp last second of 1 BC', timestamp, '0001-12-31 23:59:59 BC', -62135596801000000n],
  ['timestamp min', timestamp, '4714-11-24 00:00:00 BC', -210866803200000000n],
  ['timestamp last in a long', timestamp, '294247-01-10 04:00:54.775806', 9223372036854775806n],
  ['timestamp infinity', timestamp, 'infinity', 9223372036854775807n],
  ['timestamp -infinity', timestamp, '-infinity', -9223372036854775808n],

  ['timestamptz UTC', timestamptz, '2020-06-01 06:30:00.000001+00', 1590993000000001n],
  ['timestamptz +05:30', timestamptz, '2020-06-01 17:30:00.000001+05:30', 1591012800000001n],
  ['timestamptz -08', timestamptz, '1970-01-01 00:00:00-08', 28800000000n],
  [
    'timestamptz seconds offset (Amsterdam 1900)',
    timestamptz,
    '1900-01-01 00:19:32+00:19:32',
    -2208988800000000n,
  ],
  ['timestamptz negative seconds offset', timestamptz, '1883-11-18 12:00:00-03:30:15', -2717656185000000n],
  ['timestamptz BC after the offset', timestamptz, '0044-03-15 12:00:00+00 BC', -63517780800000000n],
  ['timestamptz infinity', timestamptz, 'infinity', 9223372036854775807n],
  ['timestamptz -infinity', timestamptz, '-infinity', -9223372036854775808n],

  ['bytea', { kind: 'bytea' }, '\\x00ff7f', Buffer.from([0x00, 0xff, 0x7f])],
  ['bytea empty', { kind: 'bytea' }, '\\x', Buffer.alloc(0)],

  [
    'text[] quoting',
    arrayOf({ kind: 'text' }),
    String.raw`{"a b",NULL,"\"q\"","x,y","NULL","","back\\slash",ü," lead"}`,
    ['a b', null, '"q"', 'x,y', 'NULL', '', 'back\\slash', 'ü', ' lead'],
  ],
  ['int[] empty', arrayOf(int32), '{}', []],
  ['int[] explicit bounds are dropped', arrayOf(int32), '[0:1]={1,2}', [1, 2]],
  [
    'int8[] extremes',
    arrayOf(int64),
    '{9223372036854775807,-9223372036854775808}',
    [9223372036854775807n, -9223372036854775808n],
  ],
  ['bool[]', arrayOf({ kind: 'bool' }), '{t,f,NULL}', [true, false, null]],
  ['date[]', arrayOf(date), '{"0044-03-15 BC",infinity,NULL,1970-01-02}', [-735160, 2147483647, null, 1]],
  [
    'timestamptz[]',
    arrayOf(timestamptz),
    '{"2020-06-01 06:30:00.000001+00",NULL}',
    [1590993000000001n, null],
  ],
  ['numeric(4,2)[]', arrayOf(decimal(4, 2)), '{1.50,2.00}', ['1.50', '2.00']],
  ['money[]', arrayOf({ kind: 'numeric-text' }), '{"$1,234.50",NULL}', ['$1,234.50', null]],
  ['real[] NaN', arrayOf(float32), '{NaN,Infinity}', [NaN, Infinity]],
  [
    'bytea[]',
    arrayOf({ kind: 'bytea' }),
    String.raw`{"\\x00ff","\\x",NULL}`,
    [Buffer.from([0, 255]), Buffer.alloc(0), null],
  ],
  [
    'jsonb[] with a JSON string "NULL"',
    arrayOf({ kind: 'json' }),
    String.raw`{"\"NULL\"","{\"a\": 1}"}`,
    ['"NULL"', '{"a": 1}'],
  ],
  ['interval[]', arrayOf({ kind: 'interval' }), '{P1D,NULL}', ['P1D', null]],
];

describe('decodeText', () => {
  it.each(cases)('%s', (_name, kind, text, expected) => {
    expect(decodeText(kind, text)).toEqual(expected);
  });

  it('keeps the sign of a negative zero and gives numbers and bigints their own types', () => {
    expect(Object.is(decodeText(float64, '-0'), -0)).toBe(true);
    expect(typeof decodeText(int64, '1')).toBe('bigint');
    expect(typeof decodeText(time, '00:00:00')).toBe('bigint');
    expect(typeof decodeText(int32, '1')).toBe('number');
  });
});

function errorOf(kind: ColumnKind, text: string): CdcError {
  try {
    decodeText(kind, text);
  } catch (error) {
    if (error instanceof CdcError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const invalidCases: [name: string, kind: ColumnKind, text: string][] = [
  ['int32 text', int32, 'abc'],
  ['int32 empty', int32, ''],
  ['int32 fraction', int32, '1.5'],
  ['int32 out of range', int32, '2147483648'],
  ['int16 out of range', int16, '32768'],
  ['int64 out of range', int64, '9223372036854775808'],
  ['int64 spaces', int64, ' 1'],
  ['float empty (Number would say 0)', float64, ''],
  ['float hex (Number would accept it)', float64, '0x10'],
  ['float32 beyond its range', float32, '1e39'],
  ['float lowercase nan', float64, 'nan'],
  ['decimal too many digits', decimal(6, 3), '1234.000'],
  ['decimal nonzero beyond scale', decimal(6, 3), '1.2345'],
  ['decimal exponent', decimal(6, 3), '1e3'],
  ['bool word', { kind: 'bool' }, 'true'],
  ['date month 13', date, '2020-13-01'],
  ['date Feb 29 of a non-leap year', date, '2023-02-29'],
  ['date 2 BC is a leap year, 1 AD not', date, '0001-02-29'],
  ['date year 0', date, '0000-01-01'],
  ['date ISO with time', date, '2020-01-01T00:00:00'],
  ['date double BC', date, '0044-03-15 BC BC'],
  ['time 24:00:01', time, '24:00:01'],
  ['time seven fraction digits', time, '00:00:00.1234567'],
  ['time minute 60', time, '00:60:00'],
  ['timestamp 24:00:00', timestamp, '2020-01-01 24:00:00'],
  ['timestamp with offset', timestamp, '2020-01-01 00:00:00+00'],
  ['timestamptz without offset', timestamptz, '2020-01-01 00:00:00'],
  ['timestamptz ISO T separator', timestamptz, '2020-01-01T00:00:00Z'],
  ['bytea escape format', { kind: 'bytea' }, 'abc'],
  ['bytea odd hex digits', { kind: 'bytea' }, '\\x0'],
  ['bytea bad hex', { kind: 'bytea' }, '\\xzz'],
  ['array element', arrayOf(int32), '{1,x}'],
  ['array without braces', arrayOf(int32), '1,2'],
  ['array of two characters that is not {}', arrayOf(int32), 'ab'],
  ['array unbalanced', arrayOf(int32), '{1,2'],
];

describe('decodeText refuses text PostgreSQL would not print', () => {
  it.each(invalidCases)('%s', (_name, kind, text) => {
    const error = errorOf(kind, text);
    expect(error.code).toBe('INVALID_VALUE');
    expect(error.message).toContain(JSON.stringify(text));
  });

  it('names the kind and the text', () => {
    expect(errorOf(int32, 'abc').message).toBe('invalid int32 value "abc"');
    expect(errorOf(arrayOf(date), '1,2').message).toBe('invalid array of date value "1,2"');
    expect(errorOf(arrayOf(int32), '{1,x}').message).toBe(
      'invalid int32 value "x" in array of int32 value "{1,x}"',
    );
  });
});

describe('decodeText refuses values Avro cannot carry', () => {
  it.each(['NaN', 'Infinity', '-Infinity'])('numeric(p,s) %s', (text) => {
    const error = errorOf(decimal(6, 3), text);
    expect(error.code).toBe('UNREPRESENTABLE_VALUE');
    expect(error.message).toContain(text);
    expect(error.message).toContain('numeric without precision travels as text');
  });

  it('numeric(p,s) NaN inside an array', () => {
    expect(errorOf(arrayOf(decimal(4, 1)), '{NaN,1.5}').code).toBe('UNREPRESENTABLE_VALUE');
  });

  it.each(['{{1,2},{3,NULL}}', '[1:1][2:3]={{1,2}}'])('multi-dimensional array %s', (text) => {
    const error = errorOf(arrayOf(int32), text);
    expect(error.code).toBe('UNREPRESENTABLE_VALUE');
    expect(error.message).toContain('multi-dimensional');
  });

  it('box arrays, whose delimiter is ";"', () => {
    const error = errorOf(arrayOf({ kind: 'other', typeName: 'box' }), '{(1,1),(0,0);(2,2),(1,1)}');
    expect(error.code).toBe('UNREPRESENTABLE_VALUE');
  });

  // PostgreSQL counts microseconds from 2000-01-01 and reaches 294276-12-31; counted from 1970 a
  // long ends at 294247-01-10 04:00:54.775807 (PostgreSQL: 9223372036854775807), which already
  // stands for infinity.
  it.each<[ColumnKind, string]>([
    [timestamp, '294247-01-10 04:00:54.775807'],
    [timestamp, '294276-12-31 23:59:59.999999'], // 9224318015999999999 per PostgreSQL
    [timestamptz, '294276-12-31 23:59:59.999999+00'],
  ])('%j %s beyond a long of microseconds since 1970', (kind, text) => {
    const error = errorOf(kind, text);
    expect(error.code).toBe('UNREPRESENTABLE_VALUE');
    expect(error.message).toContain(text);
  });

  it('but a negative offset may bring a late local time back into range', () => {
    // 294247-01-09 20:00:54.775806-08 is 294247-01-10 04:00:54.775806 UTC.
    expect(decodeText(timestamptz, '294247-01-09 20:00:54.775806-08')).toBe(9223372036854775806n);
  });
});
