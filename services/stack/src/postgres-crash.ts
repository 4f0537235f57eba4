import { PostgresComponent } from './components/postgres.ts';
import type { Stack } from './stack.ts';

/**
 * Crashes the stack's PostgreSQL (`pg_ctl stop -m immediate`: every connection cut, nothing
 * checkpointed); `stack.up()` starts it again, recovering from the WAL. For fault-injection
 * tests, beside killServer (fault.ts).
 */
export async function crashPostgres(stack: Stack): Promise<void> {
  const postgres = stack.components.find((c) => c instanceof PostgresComponent);
  if (!postgres) throw new Error('the stack has no PostgreSQL');
  await postgres.crash();
}
