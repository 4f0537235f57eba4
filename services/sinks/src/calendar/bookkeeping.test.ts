import { describe, expect, it } from 'vitest';
import { versionText } from '@cdc/core';
import {
  DELETED_KEY,
  HASHES_KEY,
  VERSION_KEY,
  isMarkedDeleted,
  storedHashes,
  storedVersion,
  withBookkeeping,
} from './bookkeeping.ts';

const version = { commitLsn: 0x1234n, seq: 2n };

describe('the sink’s private properties', () => {
  it('keep others’ properties, replace its own, and read back', () => {
    const properties = withBookkeeping(
      { patient_id: '7', cdc_version: 'old', cdc_deleted: 'true' },
      { sink: 'clinic', version, deleted: false, hashes: { name: 'abc' } },
    );
    expect(properties).toEqual({
      patient_id: '7',
      cdc_sink: 'clinic',
      [VERSION_KEY]: versionText(version),
      [HASHES_KEY]: '{"name":"abc"}',
    });
    expect(storedVersion(properties)).toEqual(version);
    expect(storedHashes(properties)).toEqual({ name: 'abc' });
    expect(isMarkedDeleted(properties)).toBe(false);
    expect(isMarkedDeleted(withBookkeeping({}, { sink: 's', version, deleted: true, hashes: {} }))).toBe(
      true,
    );
  });

  it('cut hashes longer than a property value holds into parts of 1024 characters', () => {
    const hashes = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`column_number_${i}`, 'x'.repeat(12)]),
    );
    const properties = withBookkeeping({}, { sink: 's', version, deleted: false, hashes });
    const parts = Object.keys(properties).filter((key) => key.startsWith(HASHES_KEY));
    expect(JSON.stringify(hashes).length).toBeGreaterThan(3 * 1024);
    expect(parts).toEqual([HASHES_KEY, `${HASHES_KEY}_2`, `${HASHES_KEY}_3`, `${HASHES_KEY}_4`]);
    expect(parts.every((key) => properties[key]!.length <= 1024)).toBe(true);
    expect(storedHashes(properties)).toEqual(hashes);
  });

  it('read nothing from what someone edited into nonsense', () => {
    expect(storedVersion({ [VERSION_KEY]: 'yesterday' })).toBeUndefined();
    expect(storedHashes({ [HASHES_KEY]: '{"name":' })).toBeUndefined();
    expect(storedHashes({ [HASHES_KEY]: '{"name":1}' })).toBeUndefined();
    expect(isMarkedDeleted({ [DELETED_KEY]: 'yes' })).toBe(false);
  });
});
