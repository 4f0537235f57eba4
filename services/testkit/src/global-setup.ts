import { silenceKnownKafkajsWarnings, type StackEnv } from '@cdc/core';
import type { TestProject } from 'vitest/node';
import { createProvider, providerName } from './provider.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stackEnv: StackEnv;
  }
}

/**
 * Vitest global setup of the integration tests: brings the servers up once per run (or reuses
 * running ones) and hands their addresses to every test file through `inject('stackEnv')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  silenceKnownKafkajsWarnings();
  const provider = await createProvider(providerName(process.env.CDC_TEST_PROVIDER));
  const started = Date.now();
  const env = await provider.start();
  console.log(`[testkit] ${provider.name} stack ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('stackEnv', env);
  return () => provider.stop();
}
