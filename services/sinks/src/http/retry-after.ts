/** The longest wait a target may impose at once: after it we try again (and are told again). */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';

// RFC 9110 §5.6.7: IMF-fixdate, and the two obsolete forms a recipient must still accept.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'u');
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'u');
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'u');

/**
 * How long a `Retry-After` header (RFC 9110 §10.2.3) asks us to wait, in ms from `nowMs`:
 * delta-seconds or an HTTP-date, at most MAX_RETRY_AFTER_MS. Undefined when there is none to
 * honour: no header, garbage, a negative delay or a date already past.
 */
export function retryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  const text = header?.trim();
  if (!text) return undefined;
  const ms = /^\d+$/u.test(text) ? Number(text) * 1000 : httpDate(text, nowMs) - nowMs;
  if (Number.isNaN(ms) || ms < 0) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The epoch ms of an HTTP-date, NaN for anything else. */
function httpDate(text: string, nowMs: number): number {
  let match = IMF_FIXDATE.exec(text);
  if (match) return utc(match[3], match[2], match[1], match.slice(4));
  match = RFC850_DATE.exec(text);
  if (match) return utc(fullYear(Number(match[3]), nowMs), match[2], match[1], match.slice(4));
  match = ASCTIME_DATE.exec(text);
  if (match) return utc(match[6], match[1], match[2], match.slice(3, 6));
  return Number.NaN;
}

// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is one of the past century.
function fullYear(twoDigits: number, nowMs: number): number {
  const now = new Date(nowMs).getUTCFullYear();
  const year = Math.floor(now / 100) * 100 + twoDigits;
  return year > now + 50 ? year - 100 : year;
}

function utc(
  year: string | number | undefined,
  month: string | undefined,
  day: string | undefined,
  time: readonly (string | undefined)[],
): number {
  const [h, m, s] = time.map(Number) as [number, number, number];
  const d = Number(day);
  const monthIndex = MONTHS.indexOf(month ?? '');
  if (d < 1 || d > 31 || h > 23 || m > 59 || s > 60 || monthIndex < 0) return Number.NaN;
  return Date.UTC(Number(year), monthIndex, d, h, m, Math.min(s, 59));
}
