export type { Component, ComponentName, Health } from './component.ts';
export { killServer } from './fault.ts';
export { describeSettings, readStackSettings, STACK_SETTINGS, type StackSettings } from './settings.ts';
export { Stack, type ComponentStatus, type UpOptions } from './stack.ts';
export { crashPostgres } from './postgres-crash.ts';
export { alertmanagerConfig } from './components/alertmanager.ts';
export { alertRulesFile, prometheusConfig } from './components/prometheus.ts';
export { VERSIONS } from './versions.ts';
