import { describe, expect, it } from 'vitest';
import { formatText, formatValue, parseFormat, type Format, type FormatContext } from './formats.ts';
import { localMicros } from './test-values.ts';

const context: FormatContext = {
  zone: 'Europe/Paris',
  codes: {
    cvx: {
      system: 'http://hl7.org/fhir/sid/cvx',
      values: {
        pfizer_covid: { code: '208', display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose' },
        '140': '140',
      },
    },
  },
};

const as = (spec: string): Format => {
  const format = parseFormat(spec);
  if (typeof format === 'string') throw new Error(format);
  return format;
};

describe('formats', () => {
  it('parses format names and their argument', () => {
    expect(parseFormat('dateTime')).toEqual({ name: 'dateTime', local: false });
    expect(parseFormat('instant:local')).toEqual({ name: 'instant', local: true });
    expect(parseFormat('code:cvx')).toEqual({ name: 'code', table: 'cvx' });
    expect(parseFormat('datetime')).toContain('datetime is not a format; formats: date, dateTime');
    expect(parseFormat('dateTime:utc')).toBe(
      'dateTime takes no :utc; only :local (for timestamp columns without a zone)',
    );
    expect(parseFormat('integer:8')).toBe('integer takes no :8');
    expect(parseFormat('code')).toBe('code needs the name of a code table of codes:, such as code:cvx');
  });

  it('keeps the JSON type without a format, BigInt exact', () => {
    expect(formatValue(3, undefined, context)).toBe(3);
    expect(formatValue(42n, undefined, context)).toBe(42);
    expect(formatValue(2n ** 60n, undefined, context)).toBe('1152921504606846976');
    expect(formatValue(false, undefined, context)).toBe(false);
    expect(formatValue('12.50', undefined, context)).toBe('12.50');
    expect(formatValue('', undefined, context)).toBeUndefined();
    expect(formatValue(Buffer.from('hi'), undefined, context)).toBe('aGk=');
    expect(() => formatValue(Number.NaN, undefined, context)).toThrow('NaN is not a number JSON can write');
  });

  it('formats list columns element by element, nulls left out', () => {
    expect(formatValue(['Anne', null, 'Marie'], undefined, context)).toEqual(['Anne', 'Marie']);
    expect(formatValue([null], undefined, context)).toBeUndefined();
    expect(formatValue(['3', 4n], as('integer'), context)).toEqual([3, 4]);
    expect(() => formatText(['a'], undefined, context)).toThrow(
      "a list of 1 can only fill a whole element ('{field}'), not text",
    );
  });

  it('writes integers within FHIR integer range', () => {
    expect(formatValue('2', as('integer'), context)).toBe(2);
    expect(formatValue('3.00', as('integer'), context)).toBe(3);
    expect(formatValue(7n, as('integer'), context)).toBe(7);
    expect(() => formatValue(2.5, as('integer'), context)).toThrow('2.5 is not a whole number');
    expect(() => formatValue(2n ** 31n, as('integer'), context)).toThrow(
      "2147483648 is outside FHIR's integer range (-2147483648 to 2147483647)",
    );
  });

  it('writes decimals only where a JSON number holds them exactly', () => {
    expect(formatValue('48.856600', as('decimal'), context)).toBe(48.8566);
    expect(formatValue(-0.5, as('decimal'), context)).toBe(-0.5);
    expect(formatValue(12n, as('decimal'), context)).toBe(12);
    expect(() => formatValue('1234567890.1234567', as('decimal'), context)).toThrow(
      'has more digits than a JSON number holds exactly (15)',
    );
    expect(() => formatValue('abc', as('decimal'), context)).toThrow("'abc' is not a decimal number");
  });

  it('writes booleans and text', () => {
    expect(formatValue('true', as('boolean'), context)).toBe(true);
    expect(formatValue(0, as('boolean'), context)).toBe(false);
    expect(() => formatValue('yes', as('boolean'), context)).toThrow("'yes' is not a boolean");
    expect(formatValue(12n, as('string'), context)).toBe('12');
    expect(formatValue(true, as('string'), context)).toBe('true');
  });

  it('looks codes up in their table', () => {
    expect(formatValue('pfizer_covid', as('code:cvx'), context)).toEqual({
      system: 'http://hl7.org/fhir/sid/cvx',
      code: '208',
      display: 'COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose',
    });
    expect(formatValue(140, as('code:cvx'), context)).toEqual({
      system: 'http://hl7.org/fhir/sid/cvx',
      code: '140',
    });
    expect(() => formatValue('xyz', as('code:cvx'), context)).toThrow(
      "'xyz' is not in code table cvx (http://hl7.org/fhir/sid/cvx)",
    );
    // Inherited names are not source values.
    expect(() => formatValue('constructor', as('code:cvx'), context)).toThrow('is not in code table cvx');
  });

  it('writes formatted values inside text', () => {
    expect(formatText(localMicros('2021-03-04T10:00:00'), as('date:local'), context)).toBe('2021-03-04');
    expect(formatText(localMicros('2021-03-04T10:00:00'), as('dateTime:local'), context)).toBe(
      '2021-03-04T10:00:00+01:00',
    );
    expect(formatText(1.5, undefined, context)).toBe('1.5');
  });
});
