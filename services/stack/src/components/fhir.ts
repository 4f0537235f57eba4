import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CdcError } from '@cdc/core';
import type { Health, Progress } from '../component.ts';
import { runMaven } from '../exec.ts';
import { withTimeout } from '../health.ts';
import { repoRoot } from '../repo-root.ts';
import { findJava, requireProgram, type JavaRuntime } from '../tools.ts';
import { VERSIONS } from '../versions.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/**
 * The resource types the server offers: those a health ministry's API takes from us (patients,
 * immunizations, facilities, inventory) and what they refer to. Fewer types start sooner and keep
 * /metadata, the health probe, small (96 KB instead of 1.5 MB for all 146).
 */
export const FHIR_RESOURCE_TYPES = [
  'Patient',
  'Practitioner',
  'Organization',
  'Location',
  'Immunization',
  'Medication',
  'Observation',
  'Encounter',
  'Bundle',
] as const;

/**
 * HAPI FHIR R4, a JPA server on an H2 file database, built once from our own Maven module
 * (deploy/hapi-fhir: Maven Central has HAPI's libraries but no runnable server).
 */
export class FhirComponent extends DaemonComponent {
  readonly name = 'fhir' as const;
  readonly title = `HAPI FHIR R4 ${VERSIONS.hapiFhir}`;
  readonly envVar = 'FHIR_URL' as const;
  readonly provisionTitle = `build HAPI FHIR ${VERSIONS.hapiFhir} (deploy/hapi-fhir) from Maven Central`;
  protected readonly portSettings = ['fhirPort'] as const;
  private java: JavaRuntime | undefined;

  url(): string {
    return `http://127.0.0.1:${this.port}/fhir`;
  }

  private appDir(): string {
    return this.paths.dist(`hapi-fhir-${VERSIONS.hapiFhir}`);
  }

  private jar(): string {
    return join(this.appDir(), `hapi-fhir-server-${VERSIONS.hapiFhir}.jar`);
  }

  async checkPrerequisites(): Promise<void> {
    this.java = await findJava(VERSIONS.fhirJava);
    if (!this.java) {
      throw new CdcError('PREREQUISITE_MISSING', `${this.title} needs Java 17 or newer, and none was found`, {
        fix: 'install a JDK 17+ (apt-get install -y openjdk-17-jdk-headless) or point CDC_STACK_JAVA_HOME at one',
      });
    }
    if (!(await this.isProvisioned())) {
      await requireProgram('mvn', 'to build the FHIR server', 'install Maven: apt-get install -y maven');
    }
  }

  async isProvisioned(): Promise<boolean> {
    return existsSync(this.jar());
  }

  async provision(progress: Progress): Promise<void> {
    const partial = `${this.appDir()}.partial`;
    await rm(partial, { recursive: true, force: true });
    progress('mvn package (about 340 MB of libraries the first time)');
    await runMaven(
      ['-f', join(repoRoot(), 'deploy', 'hapi-fhir', 'pom.xml'), `-Dfhir.build.dir=${partial}`, 'package'],
      { logFile: this.paths.log('provision-fhir'), onLine: progress },
    );
    // Only the server and its libraries: the classes and Maven's bookkeeping stay behind.
    for (const leftover of ['classes', 'maven-archiver', 'maven-status', 'generated-sources']) {
      await rm(join(partial, leftover), { recursive: true, force: true });
    }
    await rm(this.appDir(), { recursive: true, force: true });
    await rename(partial, this.appDir());
  }

  protected async prepareLaunch(): Promise<LaunchCommand> {
    const java = this.java ?? (await findJava(VERSIONS.fhirJava));
    if (!java) throw new Error('checkPrerequisites must run before start');
    return {
      command: java.path,
      args: [
        '-Xms64m',
        '-Xmx512m',
        // As for the registry: C1 and the serial collector start sooner and take half the memory
        // (18 s and 570 MB against 27 s and 1.1 GB measured here), enough for a test server.
        '-XX:+UseSerialGC',
        '-XX:TieredStopAtLevel=1',
        '-Djava.awt.headless=true',
        '-jar',
        this.jar(),
      ],
      env: {
        ...process.env,
        FHIR_HOST: '127.0.0.1',
        FHIR_PORT: String(this.port),
        // A file database in the stack's data folder: resources and their versions survive a restart.
        FHIR_DB_URL: `jdbc:h2:file:${join(this.dataDir(), 'fhir')}`,
        FHIR_RESOURCE_TYPES: FHIR_RESOURCE_TYPES.join(','),
      },
    };
  }

  async probe(): Promise<Health> {
    const response = await withTimeout(
      fetch(`${this.url()}/metadata`, { headers: { accept: 'application/fhir+json' } }),
      5000,
      'FHIR HTTP request',
    );
    if (!response.ok) return { healthy: false, detail: `HTTP ${response.status} from /fhir/metadata` };
    const capability = (await response.json()) as { fhirVersion?: string; software?: { version?: string } };
    return {
      healthy: true,
      detail: `FHIR ${capability.fhirVersion ?? '?'}, HAPI ${capability.software?.version ?? '?'}`,
    };
  }
}
