import { readStackEnv, type StackEnv } from '@cdc/core';
import { Stack } from '@cdc/stack';
import type { StackProvider } from '../provider.ts';

/**
 * The project's own local stack (no Docker). It is left running after the tests so that the next
 * run starts in a second; `npm run stack:down` stops it.
 */
export class LocalProvider implements StackProvider {
  readonly name = 'local';

  async start(): Promise<StackEnv> {
    const stack = new Stack();
    await stack.up({ renderer: process.stdout.isTTY ? 'default' : 'simple' });
    return readStackEnv(stack.env());
  }

  async stop(): Promise<void> {}
}
