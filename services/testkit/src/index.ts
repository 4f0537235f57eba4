export { isolate, type Isolation } from './isolation.ts';
export { createProvider, providerName, type ProviderName, type StackProvider } from './provider.ts';
export { readTopic } from './kafka.ts';
