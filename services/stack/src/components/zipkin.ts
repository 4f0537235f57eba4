import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CdcError } from '@cdc/core';
import type { Health, Progress } from '../component.ts';
import { runMaven } from '../exec.ts';
import { withTimeout } from '../health.ts';
import { findJava, requireProgram, type JavaRuntime } from '../tools.ts';
import { VERSIONS } from '../versions.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/**
 * Zipkin, a tracing server with a real UI: Maven Central publishes it as one executable jar
 * (io.zipkin:zipkin-server, classifier exec), so it needs no build. Spans live in memory only:
 * they are for looking at, not for keeping.
 */
export class ZipkinComponent extends DaemonComponent {
  readonly name = 'zipkin' as const;
  readonly title = `Zipkin ${VERSIONS.zipkin}`;
  readonly envVar = 'ZIPKIN_URL' as const;
  readonly provisionTitle = `fetch Zipkin ${VERSIONS.zipkin} from Maven Central`;
  protected readonly portSettings = ['zipkinPort'] as const;
  private java: JavaRuntime | undefined;

  url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private appDir(): string {
    return this.paths.dist(`zipkin-${VERSIONS.zipkin}`);
  }

  private jar(): string {
    return join(this.appDir(), `zipkin-server-${VERSIONS.zipkin}-exec.jar`);
  }

  async checkPrerequisites(): Promise<void> {
    this.java = await findJava(VERSIONS.zipkinJava);
    if (!this.java) {
      throw new CdcError('PREREQUISITE_MISSING', `${this.title} needs Java 17 or newer, and none was found`, {
        fix: 'install a JDK 17+ (apt-get install -y openjdk-17-jre-headless) or point CDC_STACK_JAVA_HOME at one',
      });
    }
    if (!(await this.isProvisioned())) {
      await requireProgram(
        'mvn',
        'to fetch Zipkin from Maven Central',
        'install Maven: apt-get install -y maven',
      );
    }
  }

  async isProvisioned(): Promise<boolean> {
    return existsSync(this.jar());
  }

  async provision(progress: Progress): Promise<void> {
    const partial = `${this.appDir()}.partial`;
    await rm(partial, { recursive: true, force: true });
    progress('mvn dependency:copy (about 135 MB)');
    await runMaven(
      [
        'dependency:copy',
        `-Dartifact=io.zipkin:zipkin-server:${VERSIONS.zipkin}:jar:exec`,
        `-DoutputDirectory=${partial}`,
      ],
      { logFile: this.paths.log('provision-zipkin'), onLine: progress },
    );
    await rm(this.appDir(), { recursive: true, force: true });
    await rename(partial, this.appDir());
  }

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const java = this.java ?? (await findJava(VERSIONS.zipkinJava));
    if (!java) throw new Error('checkPrerequisites must run before start');
    return {
      command: java.path,
      args: [
        '-Xms32m',
        '-Xmx256m',
        // As for the registry: C1 and the serial collector start sooner and take less memory.
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-jar',
        this.jar(),
        // Zipkin has no variable for the listen address; Armeria, its HTTP server, takes one per
        // port. A list set here replaces the jar's list whole, so the port and protocol go too.
        '--armeria.ports[0].ip=127.0.0.1',
        `--armeria.ports[0].port=${this.port}`,
        '--armeria.ports[0].protocols[0]=http',
      ],
      env: {
        ...process.env,
        QUERY_PORT: String(this.port),
        STORAGE_TYPE: 'mem',
        // Oldest spans are dropped beyond this. 50,000 of ours (each with a dozen tags) ran the
        // 256 MB heap out of memory under the tracing benchmark, and a query over all of them
        // needs room too; tests and the benchmarks look at recent traces only.
        MEM_MAX_SPANS: '20000',
        // Only the HTTP (and gRPC) collector: the others would start when a variable of the same
        // name happens to be set in the shell that runs `stack up` (KAFKA_BOOTSTRAP_SERVERS, ...).
        COLLECTOR_KAFKA_ENABLED: 'false',
        COLLECTOR_RABBITMQ_ENABLED: 'false',
        COLLECTOR_ACTIVEMQ_ENABLED: 'false',
        COLLECTOR_PULSAR_ENABLED: 'false',
        DISCOVERY_EUREKA_ENABLED: 'false',
        SELF_TRACING_ENABLED: 'false',
      },
    };
  }

  async probe(): Promise<Health> {
    const health = await withTimeout(fetch(`${this.url()}/health`), 3000, 'Zipkin HTTP request');
    if (!health.ok) return { healthy: false, detail: `HTTP ${health.status} from /health` };
    const body = (await health.json()) as { status?: string; zipkin?: unknown };
    if (body.status !== 'UP' || body.zipkin === undefined) {
      return { healthy: false, detail: `not Zipkin, or not up: ${JSON.stringify(body).slice(0, 120)}` };
    }
    const info = await withTimeout(fetch(`${this.url()}/info`), 3000, 'Zipkin HTTP request');
    const version = info.ok
      ? ((await info.json()) as { zipkin?: { version?: string } }).zipkin?.version
      : undefined;
    return { healthy: true, detail: `zipkin ${version ?? '?'}, in-memory storage` };
  }
}
