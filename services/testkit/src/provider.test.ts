import { describe, expect, it } from 'vitest';
import { providerName } from './provider.ts';

describe('providerName', () => {
  it('defaults to the local stack', () => {
    expect(providerName(undefined)).toBe('local');
    expect(providerName('  ')).toBe('local');
  });

  it('accepts the containers provider', () => {
    expect(providerName('containers')).toBe('containers');
  });

  it('names the valid choices for anything else', () => {
    expect(() => providerName('docker')).toThrow(
      'CDC_TEST_PROVIDER=docker is not a provider; use one of: local, containers',
    );
  });
});
