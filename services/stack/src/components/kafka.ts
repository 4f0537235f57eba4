import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { CdcError } from '@cdc/core';
import type { Health, Progress } from '../component.ts';
import { runCommand, runMaven } from '../exec.ts';
import { withTimeout } from '../health.ts';
import { repoRoot } from '../repo-root.ts';
import { findJava, requireProgram, type JavaRuntime } from '../tools.ts';
import { VERSIONS } from '../versions.ts';
import { DaemonComponent, type LaunchCommand } from './daemon-component.ts';

/** Apache Kafka in KRaft mode, one node acting as broker and controller, on 127.0.0.1 only. */
export class KafkaComponent extends DaemonComponent {
  readonly name = 'kafka' as const;
  readonly title = `Kafka ${VERSIONS.kafka}`;
  readonly envVar = 'KAFKA_BROKERS' as const;
  readonly provisionTitle = `resolve Kafka ${VERSIONS.kafka} jars from Maven Central`;
  protected readonly portSettings = ['kafkaPort', 'kafkaControllerPort'] as const;
  private java: JavaRuntime | undefined;

  url(): string {
    return `127.0.0.1:${this.port}`;
  }

  private libDir(): string {
    return join(this.paths.dist(`kafka-${VERSIONS.kafka}`), 'lib');
  }

  async checkPrerequisites(): Promise<void> {
    this.java = await findJava(VERSIONS.kafkaJava);
    if (!this.java) {
      throw new CdcError(
        'PREREQUISITE_MISSING',
        `Kafka ${VERSIONS.kafka} needs Java 17 to 23, and none was found`,
        {
          fix: 'install a JDK 17 (apt-get install -y openjdk-17-jre-headless) or point CDC_STACK_JAVA_HOME at one',
        },
      );
    }
    if (!(await this.isProvisioned())) {
      await requireProgram(
        'mvn',
        'to fetch Kafka from Maven Central',
        'install Maven: apt-get install -y maven',
      );
    }
  }

  async isProvisioned(): Promise<boolean> {
    return existsSync(join(this.libDir(), `kafka_2.13-${VERSIONS.kafka}.jar`));
  }

  async provision(progress: Progress): Promise<void> {
    const target = this.libDir();
    const partial = `${target}.partial`;
    await rm(partial, { recursive: true, force: true });
    progress('mvn dependency:copy-dependencies (about 60 MB)');
    await runMaven(
      [
        '-f',
        join(repoRoot(), 'deploy/local/kafka/pom.xml'),
        `-Dkafka.version=${VERSIONS.kafka}`,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${partial}`,
      ],
      { logFile: this.paths.log('provision-kafka'), onLine: progress },
    );
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  }

  protected async prepareLaunch(progress: Progress): Promise<LaunchCommand> {
    const java = this.java ?? (await findJava(VERSIONS.kafkaJava));
    if (!java) throw new Error('checkPrerequisites must run before start');
    const logDir = join(this.dataDir(), 'kraft-logs');
    const config = join(this.dataDir(), 'server.properties');
    await mkdir(logDir, { recursive: true });
    await writeFile(config, this.serverProperties(logDir));
    const classpath = `${this.libDir()}/*`;
    const log4j = `-Dlog4j.configuration=file:${join(repoRoot(), 'deploy/local/kafka/log4j.properties')}`;
    if (!existsSync(join(logDir, 'meta.properties'))) {
      progress('formatting KRaft storage');
      await runCommand(
        java.path,
        [
          '-cp',
          classpath,
          log4j,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          newClusterId(),
          '-c',
          config,
          '--ignore-formatted',
        ],
        { logFile: this.logFile() },
      );
    }
    return {
      command: java.path,
      args: [
        '-Xms128m',
        '-Xmx512m',
        '-XX:+UseG1GC',
        '-Djava.awt.headless=true',
        log4j,
        '-cp',
        classpath,
        'kafka.Kafka',
        config,
      ],
    };
  }

  private serverProperties(logDir: string): string {
    const { kafkaPort, kafkaControllerPort } = this.settings;
    return [
      '# Written by the local stack on every start; edit services/stack/src/components/kafka.ts instead.',
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${kafkaControllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${kafkaPort},CONTROLLER://127.0.0.1:${kafkaControllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${kafkaPort}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${logDir}`,
      'num.partitions=1',
      'default.replication.factor=1',
      'min.insync.replicas=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=10',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=10',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      'log.retention.hours=168',
      '',
    ].join('\n');
  }

  async probe(): Promise<Health> {
    const kafka = new Kafka({
      clientId: 'cdc-stack-probe',
      brokers: [this.url()],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1500,
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      const cluster = await withTimeout(
        admin.connect().then(() => admin.describeCluster()),
        4000,
        'Kafka metadata request',
      );
      return { healthy: cluster.brokers.length > 0, detail: `cluster ${cluster.clusterId}` };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** A KRaft cluster id: 16 random bytes in URL-safe base64, as `kafka-storage random-uuid` makes. */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka refuses ids that start with '-' (they would read as command-line flags).
    if (!id.startsWith('-')) return id;
  }
}
