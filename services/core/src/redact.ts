const REDACTED = '***';

/** Hides the password of a connection URL, so that URLs can be logged and printed safely. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (!url.password) return value;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return value;
  }
}
