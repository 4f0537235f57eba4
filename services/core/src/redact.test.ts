import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact.ts';

describe('redactUrl', () => {
  it('hides the password of a connection URL', () => {
    expect(redactUrl('postgres://app:s3cr%23t@db.internal:5432/cdc')).toBe(
      'postgres://app:***@db.internal:5432/cdc',
    );
    expect(redactUrl('redis://:hunter2@cache:6379')).toBe('redis://:***@cache:6379');
  });

  it('leaves URLs without a password and non-URLs as they are', () => {
    expect(redactUrl('postgres://postgres@127.0.0.1:55432/cdc')).toBe(
      'postgres://postgres@127.0.0.1:55432/cdc',
    );
    expect(redactUrl('127.0.0.1:59092')).toBe('127.0.0.1:59092');
  });
});
