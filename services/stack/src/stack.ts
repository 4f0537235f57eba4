import { rm } from 'node:fs/promises';
import {
  CdcError,
  errorMessage,
  redactUrl,
  STACK_ENV_NAMES,
  type InactiveSlot,
  type StackEnvName,
} from '@cdc/core';
import { Listr, PRESET_TIMER, type ListrTask } from 'listr2';
import type { Component, ComponentName } from './component.ts';
import { AlertmanagerComponent } from './components/alertmanager.ts';
import { CalendarComponent, NotionComponent } from './components/emulator.ts';
import { FhirComponent } from './components/fhir.ts';
import { KafkaComponent } from './components/kafka.ts';
import { MongoComponent } from './components/mongo.ts';
import { PostgresComponent } from './components/postgres.ts';
import { PrometheusComponent } from './components/prometheus.ts';
import { RedisComponent } from './components/redis.ts';
import { RegistryComponent } from './components/registry.ts';
import { ZipkinComponent } from './components/zipkin.ts';
import { waitHealthy } from './health.ts';
import { stackPaths } from './paths.ts';
import { readStackSettings, type StackSettings } from './settings.ts';
import { aptInstall } from './tools.ts';

export interface ComponentStatus {
  name: ComponentName;
  title: string;
  envVar: StackEnvName;
  url: string;
  healthy: boolean;
  detail: string;
  /** Set when this stack started the server and it still runs. */
  pid: number | undefined;
  logFile: string;
  /** PostgreSQL, when healthy: its inactive replication slots and the WAL each keeps. */
  inactiveSlots?: InactiveSlot[];
}

export interface UpOptions {
  /** 'silent' for callers that print their own output (the test harness). */
  renderer?: 'default' | 'simple' | 'silent';
}

/** How long each server may take to answer its first health probe after starting. */
const START_TIMEOUT_MS: Record<ComponentName, number> = {
  postgres: 60_000,
  kafka: 90_000,
  registry: 180_000,
  redis: 30_000,
  mongo: 60_000,
  // HAPI builds its Spring context and H2 schema: 18-37 s here.
  fhir: 180_000,
  notion: 30_000,
  calendar: 30_000,
  // About 5 s here; a cold JVM on a busy machine takes longer.
  zipkin: 60_000,
  prometheus: 30_000,
  alertmanager: 30_000,
};

/** The local stack: every server the pipeline and its tests need, run without Docker. */
export class Stack {
  readonly settings: StackSettings;
  readonly components: readonly Component[];

  constructor(settings: StackSettings = readStackSettings()) {
    this.settings = settings;
    const paths = stackPaths(settings);
    this.components = [
      new PostgresComponent(settings, paths),
      new KafkaComponent(settings, paths),
      new RegistryComponent(settings, paths),
      new RedisComponent(settings, paths),
      new MongoComponent(settings, paths),
      new FhirComponent(settings, paths),
      new NotionComponent(settings, paths),
      new CalendarComponent(settings, paths),
      new ZipkinComponent(settings, paths),
      new PrometheusComponent(settings, paths),
      new AlertmanagerComponent(settings, paths),
    ];
  }

  /** The contract variables (docs/contracts.md) for this stack, in the documented order. */
  env(): Record<StackEnvName, string> {
    const values = new Map<StackEnvName, string>();
    for (const component of this.components) {
      values.set(component.envVar, component.url());
      for (const [name, value] of Object.entries(component.otherEnv?.() ?? {}))
        values.set(name as StackEnvName, value);
    }
    return Object.fromEntries(STACK_ENV_NAMES.map((name) => [name, values.get(name) ?? ''])) as Record<
      StackEnvName,
      string
    >;
  }

  async status(): Promise<ComponentStatus[]> {
    return Promise.all(this.components.map((component) => this.statusOf(component)));
  }

  private async statusOf(component: Component): Promise<ComponentStatus> {
    const [health, pid] = await Promise.all([
      component.probe().catch((error: unknown) => ({ healthy: false, detail: errorMessage(error) })),
      component.ownPid().catch(() => undefined),
    ]);
    // A warning, never a failed probe: the slots of a server that answered but cannot list them
    // are simply not shown.
    const slots = health.healthy ? await component.inactiveSlots?.().catch(() => undefined) : undefined;
    return {
      name: component.name,
      title: component.title,
      envVar: component.envVar,
      url: component.url(),
      healthy: health.healthy,
      detail: health.detail,
      pid,
      logFile: component.logFile(),
      ...(slots && { inactiveSlots: slots }),
    };
  }

  /**
   * Provisions what is missing, starts what is not healthy and waits until every server answers.
   * Servers that are already healthy are left alone, so a second `up` changes nothing.
   */
  async up(options: UpOptions = {}): Promise<ComponentStatus[]> {
    const before = await this.status();
    const pending = this.components.filter((c) => !before.find((s) => s.name === c.name)?.healthy);
    if (pending.length === 0) return before;

    const ready = new Map<ComponentName, Promise<void>>();
    const settle = new Map<ComponentName, { resolve: () => void; reject: (e: unknown) => void }>();
    for (const component of this.components) {
      const promise = new Promise<void>((resolve, reject) => settle.set(component.name, { resolve, reject }));
      promise.catch(() => undefined); // observed by dependants; never an unhandled rejection
      ready.set(component.name, promise);
      if (!pending.includes(component)) settle.get(component.name)?.resolve();
    }

    const failures: Array<{ component: Component; error: unknown }> = [];
    const renderer = options.renderer ?? 'default';
    const rendererOptions = { timer: PRESET_TIMER, collapseSubtasks: false };
    const tasks = new Listr(
      [
        {
          title: 'Check prerequisites',
          task: async () => {
            const results = await Promise.allSettled(pending.map((c) => c.checkPrerequisites()));
            const problems = results.flatMap((r) =>
              r.status === 'rejected' ? [errorMessage(r.reason)] : [],
            );
            if (problems.length > 0) {
              throw new CdcError(
                'PREREQUISITE_MISSING',
                `missing prerequisites:\n  ${problems.join('\n  ')}`,
              );
            }
          },
        },
        {
          title: 'Install system packages',
          task: async (_ctx, task) => {
            const packages = [
              ...new Set((await Promise.all(pending.map((c) => c.missingSystemPackages()))).flat()),
            ];
            if (packages.length === 0) {
              task.skip('all installed');
              return;
            }
            task.title = `Install system packages: ${packages.join(' ')}`;
            await aptInstall(
              packages,
              stackPaths(this.settings).log('provision-apt'),
              (line) => (task.output = line),
            );
          },
        },
        {
          title: 'Provision servers (first time only)',
          task: async (_ctx, task) => {
            const missing: Component[] = [];
            for (const c of pending) if (!(await c.isProvisioned())) missing.push(c);
            if (missing.length === 0) {
              task.skip('all provisioned');
              return;
            }
            return task.newListr(
              missing.map((c): ListrTask => ({
                title: `${c.title}: ${c.provisionTitle}`,
                task: (_subCtx, sub) => c.provision((line) => (sub.output = line)),
              })),
              { concurrent: true, exitOnError: true },
            );
          },
        },
        {
          title: 'Start servers',
          task: (_ctx, task) =>
            task.newListr(
              pending.map((c): ListrTask => ({
                title: `${c.title} on ${redactUrl(c.url())}`,
                task: async (_subCtx, sub) => {
                  try {
                    for (const dependency of c.dependsOn) {
                      sub.output = `waiting for ${dependency}`;
                      await ready.get(dependency);
                    }
                    await c.start((line) => (sub.output = line));
                    sub.output = 'waiting until healthy';
                    const detail = await waitHealthy(c, START_TIMEOUT_MS[c.name], async () =>
                      Boolean(await c.ownPid()),
                    );
                    sub.title = `${c.title} on ${redactUrl(c.url())}: ${detail}`;
                    settle.get(c.name)?.resolve();
                  } catch (error) {
                    settle.get(c.name)?.reject(error);
                    failures.push({ component: c, error });
                    throw error;
                  }
                },
              })),
              { concurrent: true, exitOnError: false },
            ),
        },
        {
          title: 'Every server healthy',
          task: () => {
            if (failures.length === 0) return;
            const lines = failures.map(
              ({ component, error }) => `${component.title}: ${errorMessage(error)}`,
            );
            throw new CdcError(
              'STACK_START_FAILED',
              `the local stack did not start:\n  ${lines.join('\n  ')}`,
            );
          },
        },
      ],
      {
        renderer,
        fallbackRenderer: renderer === 'silent' ? 'silent' : 'simple',
        rendererOptions,
        fallbackRendererOptions: rendererOptions,
        exitOnError: true,
      },
    );
    await tasks.run();
    return this.status();
  }

  /**
   * Stops the servers this stack started and deletes their data, for a clean slate. Downloaded
   * and built servers are kept. Refuses while a server this stack did not start answers on a
   * stack port, since its data would not be ours to delete.
   */
  async clean(): Promise<string[]> {
    await this.down();
    const foreign = (await this.status()).filter((s) => s.healthy);
    if (foreign.length > 0) {
      throw new CdcError(
        'STACK_IN_USE',
        `not cleaning: ${foreign.map((s) => s.title).join(', ')} still answer`,
        {
          fix: 'these servers were not started by this stack (another checkout, or docker compose); stop them first',
        },
      );
    }
    const removed = this.components.map((c) => c.dataDir());
    await Promise.all(removed.map((dir) => rm(dir, { recursive: true, force: true })));
    return removed;
  }

  /** Stops the servers this stack started (dependants first); leaves anything else running. */
  async down(): Promise<Array<{ name: ComponentName; title: string; result: string }>> {
    const results: Array<{ name: ComponentName; title: string; result: string }> = [];
    // Components are listed after what they depend on, so the reverse stops dependants first.
    for (const component of [...this.components].reverse()) {
      const result = await component.stop().catch((error: unknown) => `failed: ${errorMessage(error)}`);
      results.push({ name: component.name, title: component.title, result });
    }
    return results;
  }
}
