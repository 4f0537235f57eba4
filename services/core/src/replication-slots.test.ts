import { describe, expect, it } from 'vitest';
import { describeInactiveSlot, dropSlotCommand, formatBytes, inactiveSlots } from './replication-slots.ts';

describe('inactive replication slots', () => {
  it('prints WAL sizes in PostgreSQL units', () => {
    expect(formatBytes(112)).toBe('112 bytes');
    expect(formatBytes(4_362 * 1024)).toBe('4.3 MB');
    expect(formatBytes(2.3 * 1024 ** 3)).toBe('2.3 GB');
  });

  it('gives the exact psql command, without the password', () => {
    expect(dropSlotCommand('postgres://postgres@127.0.0.1:55432/cdc', 'demo_slot')).toBe(
      `psql postgres://postgres@127.0.0.1:55432/cdc -c "select pg_drop_replication_slot('demo_slot')"`,
    );
    expect(dropSlotCommand('postgres://app:s3cret@db:5432/shop?sslmode=require', 'cdc_slot')).toBe(
      `psql 'postgres://app@db:5432/shop?sslmode=require' -c "select pg_drop_replication_slot('cdc_slot')"`,
    );
  });

  it('reads them biggest first and describes each', async () => {
    const asked: unknown[] = [];
    const client = {
      query: async (_text: string, values?: unknown[]) => {
        asked.push(values);
        return {
          rows: [
            {
              name: 'demo_slot',
              database: 'demo',
              type: 'logical',
              wal_status: 'extended',
              retained: String(2.3 * 1024 ** 3),
            },
            { name: 'standby', database: null, type: 'physical', wal_status: null, retained: null },
          ],
        };
      },
    };
    const slots = await inactiveSlots(client, 'postgres://postgres@h:1/cdc', { except: 'cdc_slot' });
    expect(asked).toEqual([['cdc_slot']]);
    expect(slots.map(describeInactiveSlot)).toEqual([
      'replication slot demo_slot (logical slot of database demo) is inactive and retains 2.3 GB of WAL',
      'replication slot standby (physical slot) is inactive and reserves no WAL',
    ]);
    expect(slots[0]).toMatchObject({ retainedBytes: 2.3 * 1024 ** 3, walStatus: 'extended' });
  });
});
