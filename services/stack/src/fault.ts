import { setTimeout as sleep } from 'node:timers/promises';
import { CdcError } from '@cdc/core';
import type { ComponentName } from './component.ts';
import type { Stack } from './stack.ts';

/**
 * Kills one server of this stack as a crash would (SIGKILL: no shutdown, no flush), for fault
 * injection tests, and waits until it is gone. `stack.up()` starts it again. Only a server this
 * stack started is killed; returns its pid.
 */
export async function killServer(stack: Stack, name: ComponentName): Promise<number> {
  const component = stack.components.find((c) => c.name === name);
  const pid = await component?.ownPid();
  if (!component || pid === undefined) {
    throw new CdcError('NOT_RUNNING', `${name} was not started by this stack, or is not running`, {
      fix: 'bring the stack up first (npm run stack:up); only servers it started can be killed',
    });
  }
  process.kill(pid, 'SIGKILL');
  // ownPid, not a bare liveness check: a killed child of this process stays a zombie until reaped.
  while ((await component.ownPid()) === pid) await sleep(50);
  // The pid file stays: ownPid() sees the process is gone, and `up` starts a new one.
  return pid;
}
