import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { DateTime, IANAZone } from 'luxon';
import type { AvroSchema } from '@cdc/core';
import type { ValueKind } from './avro-kind.ts';
import { splitMicros, wallClockText } from './convert.ts';
import { InPlaceOp } from './op.ts';
import type { StepOf } from './step-config.ts';

type NormaliseStep = StepOf<'normalise'>;

const MS_PER_DAY = 86_400_000;
const EMAIL = /^([^\s@]+)@([^\s@]+\.[^\s@]+)$/;
// Word starts: after white space, hyphens, apostrophes, slashes and brackets, not after digits ("3rd").
const WORD_START = /(^|[\s\-'’(/])(\p{L})/gu;

function titleLetter(_match: string, before: string, letter: string): string {
  return before + letter.toUpperCase();
}

/** The final format of a normalise step: at most one per step. */
interface Format {
  apply(text: unknown): unknown;
}

class PhoneFormat implements Format {
  readonly #region: CountryCode | undefined;

  constructor(region: string | undefined) {
    this.#region = region as CountryCode | undefined;
  }

  apply(text: unknown): string {
    const phone = parsePhoneNumberFromString(String(text), { defaultCountry: this.#region });
    if (!phone?.isValid()) {
      throw new Error(
        `${JSON.stringify(text)} is not a valid phone number${this.#region ? ` (numbers without + are read as ${this.#region})` : ''}`,
      );
    }
    return phone.number;
  }
}

class EmailFormat implements Format {
  apply(text: unknown): string {
    const match = EMAIL.exec(String(text).trim());
    if (!match) throw new Error(`${JSON.stringify(text)} is not an e-mail address (local@domain.tld)`);
    return `${match[1]}@${match[2]?.toLowerCase()}`;
  }
}

class DateFormat implements Format {
  readonly #format: string | undefined;
  readonly #options: { zone: string; setZone: true };
  readonly #asDate: boolean;

  constructor(config: NonNullable<NormaliseStep['date']>) {
    this.#format = config.format;
    // setZone: a text with its own offset keeps it; the zone applies to texts without one.
    this.#options = { zone: config.zone ?? 'UTC', setZone: true };
    this.#asDate = config.output === 'date';
  }

  apply(text: unknown): number | string {
    const input = String(text).trim();
    const parsed =
      this.#format === undefined
        ? DateTime.fromISO(input, this.#options)
        : DateTime.fromFormat(input, this.#format, this.#options);
    if (!parsed.isValid) {
      throw new Error(
        `${JSON.stringify(text)} is not a date${this.#format ? ` in the format ${this.#format}` : ' in ISO 8601'}`,
      );
    }
    if (this.#asDate) return Math.floor(Date.UTC(parsed.year, parsed.month - 1, parsed.day) / MS_PER_DAY);
    return parsed.toUTC().toISO() ?? '';
  }
}

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hours = Math.floor(abs / 60);
  const rest = abs % 60;
  return `${sign}${hours < 10 ? '0' : ''}${hours}:${rest < 10 ? '0' : ''}${rest}`;
}

// Zone offsets change at most a few times a year, and never twice within this span.
const OFFSET_SPAN_MS = 15 * 60_000;
const OFFSET_CACHE_LIMIT = 100_000;

/**
 * A zone's UTC offsets, remembered per quarter hour: Intl (behind luxon's IANAZone) takes tens of
 * microseconds per call. A span is cached only when its offset is the same at both ends, so an
 * offset change inside it is always computed exactly.
 */
class ZoneOffsets {
  readonly #zone: IANAZone;
  readonly #spans = new Map<number, number>();

  constructor(zone: string) {
    this.#zone = IANAZone.create(zone);
  }

  /** Offset in minutes at an instant. */
  at(ms: number): number {
    const span = Math.floor(ms / OFFSET_SPAN_MS);
    const cached = this.#spans.get(span);
    if (cached !== undefined) return cached;
    const offset = this.#zone.offset(ms);
    const start = span * OFFSET_SPAN_MS;
    if (this.#zone.offset(start) === offset && this.#zone.offset(start + OFFSET_SPAN_MS - 1) === offset) {
      if (this.#spans.size >= OFFSET_CACHE_LIMIT) this.#spans.clear();
      this.#spans.set(span, offset);
    }
    return offset;
  }

  /**
   * The instant and offset of a wall-clock time (ms read as UTC), resolved exactly as luxon's
   * setZone(zone, { keepLocalTime: true }) does: a time in a gap moves forward by the gap; of a
   * time that occurs twice, the occurrence whose offset the first guess finds.
   */
  ofWallClock(wall: number): { instant: number; offset: number } {
    const first = this.at(wall);
    let instant = wall - first * 60_000;
    const second = this.at(instant);
    if (first === second) return { instant, offset: first };
    instant -= (second - first) * 60_000;
    const third = this.at(instant);
    if (second === third) return { instant, offset: second };
    return { instant: wall - Math.min(second, third) * 60_000, offset: Math.max(second, third) };
  }
}

/** An instant (timestamp-micros, UTC) as the wall-clock time of a zone with its offset. */
class InstantInZone implements Format {
  readonly #offsets: ZoneOffsets;

  constructor(zone: string) {
    this.#offsets = new ZoneOffsets(zone);
  }

  apply(value: unknown): string {
    const { ms, micros } = splitMicros(value as bigint);
    const offset = this.#offsets.at(ms);
    return wallClockText(ms + offset * 60_000, micros) + offsetText(offset);
  }
}

/** A local timestamp (no zone) read as the wall-clock time of a zone, written with that zone's offset. */
class WallClockInZone implements Format {
  readonly #offsets: ZoneOffsets;

  constructor(zone: string) {
    this.#offsets = new ZoneOffsets(zone);
  }

  apply(value: unknown): string {
    const { ms, micros } = splitMicros(value as bigint);
    const { instant, offset } = this.#offsets.ofWallClock(ms);
    return wallClockText(instant + offset * 60_000, micros) + offsetText(offset);
  }
}

const TEXT_KINDS: readonly ValueKind[] = ['string', 'uuid', 'enum'];
const TIMESTAMP_KINDS: readonly ValueKind[] = ['timestamp-micros', 'local-timestamp-micros'];

/** Checks a normalise step against its field's kind: the problem in plain words, or undefined. */
export function normaliseProblem(step: NormaliseStep, kind: ValueKind): string | undefined {
  if (step.timezone !== undefined) {
    return TIMESTAMP_KINDS.includes(kind)
      ? undefined
      : `timezone needs a timestamp field (timestamp-micros or local-timestamp-micros), not ${kind}`;
  }
  return TEXT_KINDS.includes(kind) ? undefined : `normalise works on text fields, not ${kind}`;
}

/** The Avro type a normalise step writes. */
export function normaliseOutputType(step: NormaliseStep): AvroSchema {
  return step.date?.output === 'date' ? { type: 'int', logicalType: 'date' } : 'string';
}

export class NormaliseOp extends InPlaceOp {
  readonly kind = 'normalise';
  readonly #trim: boolean;
  readonly #case: NormaliseStep['case'];
  readonly #format: Format | undefined;

  constructor(slot: number, field: string, step: NormaliseStep, kind: ValueKind) {
    super(slot, field);
    this.#trim = step.trim === true;
    this.#case = step.case;
    if (step.phone) this.#format = new PhoneFormat(step.phone.region);
    else if (step.email) this.#format = new EmailFormat();
    else if (step.date) this.#format = new DateFormat(step.date);
    else if (step.timezone !== undefined) {
      this.#format =
        kind === 'timestamp-micros' ? new InstantInZone(step.timezone) : new WallClockInZone(step.timezone);
    }
  }

  protected transform(value: unknown): unknown {
    if (this.#format instanceof InstantInZone || this.#format instanceof WallClockInZone) {
      return this.#format.apply(value);
    }
    let text = value as string;
    if (this.#trim) text = text.trim();
    if (this.#case === 'lower') text = text.toLowerCase();
    else if (this.#case === 'upper') text = text.toUpperCase();
    else if (this.#case === 'title') text = text.toLowerCase().replace(WORD_START, titleLetter);
    return this.#format === undefined ? text : this.#format.apply(text);
  }
}
