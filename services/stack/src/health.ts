import { setTimeout as sleep } from 'node:timers/promises';
import { CdcError, errorMessage } from '@cdc/core';
import { readFile } from 'node:fs/promises';
import type { Component } from './component.ts';

/** Polls a component until its probe is healthy; fails early when its process has died. */
export async function waitHealthy(
  component: Component,
  timeoutMs: number,
  isStillRunning: () => Promise<boolean>,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const health = await component.probe();
      if (health.healthy) return health.detail;
      last = health.detail;
    } catch (error) {
      last = errorMessage(error);
    }
    if (!(await isStillRunning())) {
      throw new CdcError('SERVER_EXITED', `${component.title} exited while starting`, {
        fix: `read ${component.logFile()}; its last lines:\n    ${(await lastLines(component.logFile(), 12)).join('\n    ')}`,
      });
    }
    await sleep(500);
  }
  throw new CdcError(
    'SERVER_UNHEALTHY',
    `${component.title} did not become healthy within ${timeoutMs / 1000} s (${last})`,
    {
      retriable: true,
      fix: `read ${component.logFile()}; its last lines:\n    ${(await lastLines(component.logFile(), 12)).join('\n    ')}`,
    },
  );
}

export async function lastLines(file: string, count: number): Promise<string[]> {
  try {
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim());
    return lines.slice(-count);
  } catch {
    return ['(no log yet)'];
  }
}

/** Runs a probe with a time limit so that a hung server reads as unhealthy, not as a hang. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
