import type { StackEnv } from '@cdc/core';

/** Supplies the servers for integration tests, as the contract variables of docs/contracts.md. */
export interface StackProvider {
  readonly name: string;
  /** Starts the servers, or reuses running ones, and returns how to reach them. */
  start(): Promise<StackEnv>;
  /** Stops what start() started; servers it merely reused are left running. */
  stop(): Promise<void>;
}

export const PROVIDER_NAMES = ['local', 'containers'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** CDC_TEST_PROVIDER picks the provider: `local` (default, no Docker) or `containers`. */
export function providerName(value: string | undefined): ProviderName {
  const name = (value ?? '').trim() || 'local';
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) return name as ProviderName;
  throw new Error(`CDC_TEST_PROVIDER=${name} is not a provider; use one of: ${PROVIDER_NAMES.join(', ')}`);
}

export async function createProvider(name: ProviderName): Promise<StackProvider> {
  // Imported on demand: the containers provider loads testcontainers, which only Docker users need.
  if (name === 'containers') return new (await import('./providers/containers.ts')).ContainersProvider();
  return new (await import('./providers/local.ts')).LocalProvider();
}
