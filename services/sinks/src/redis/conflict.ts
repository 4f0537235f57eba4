import type { SinkEvent } from '@cdc/core';

/** A target's change time: ms since the epoch as a number or digits, or a date-time text. */
export function changeTimeMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The row the event would write: its after image without the fields PostgreSQL did not send. */
export function sourceRow(event: SinkEvent): Record<string, unknown> | null {
  if (event.after === null) return null;
  if (event.unchanged.length === 0) return { ...event.after };
  const unchanged = new Set(event.unchanged);
  return Object.fromEntries(Object.entries(event.after).filter(([name]) => !unchanged.has(name)));
}
