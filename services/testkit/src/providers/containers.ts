import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readStackEnv, type StackEnv } from '@cdc/core';
import { startCalendarEmulator, startNotionEmulator, type RunningEmulator } from '@cdc/emulators';
import { VERSIONS, alertRulesFile, alertmanagerConfig, prometheusConfig } from '@cdc/stack';
import {
  GenericContainer,
  Network,
  RandomPortGenerator,
  Wait,
  getContainerRuntimeClient,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';
import type { StackProvider } from '../provider.ts';

/** The broker's listener for containers on the network (the registry). */
const KAFKA_INTERNAL = 'kafka:19092';
const CCOMPAT_PATH = '/apis/ccompat/v7';

/**
 * The servers as Docker containers (CDC_TEST_PROVIDER=containers): the same images as
 * docker-compose.yml, on random host ports, removed again by stop(). Kafka and Apicurio use the
 * versions the local stack pins, so both providers test against the same servers.
 */
export class ContainersProvider implements StackProvider {
  readonly name = 'containers';
  private network: StartedNetwork | undefined;
  private containers: StartedTestContainer[] = [];
  private emulators: RunningEmulator[] = [];
  private folders: string[] = [];

  async start(): Promise<StackEnv> {
    try {
      return await this.startAll();
    } catch (error) {
      await this.stop(); // do not leave half a stack behind
      throw error;
    }
  }

  private async startAll(): Promise<StackEnv> {
    const network = await new Network().start();
    this.network = network;
    // The host name under which mapped ports are reachable (localhost, or a remote Docker host);
    // every started container's getHost() returns the same.
    const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
    // Kafka tells clients which address to connect to, so the host port must be known before the
    // container starts: pick a free one and map it explicitly (a small race with other programs).
    const kafkaHostPort = await new RandomPortGenerator().generatePort();

    const postgres = new GenericContainer(`postgres:${VERSIONS.postgresMajor}`)
      .withNetwork(network)
      .withNetworkAliases('postgres')
      .withEnvironment({ POSTGRES_DB: 'cdc', POSTGRES_HOST_AUTH_METHOD: 'trust' })
      .withCommand([
        'postgres',
        '-c',
        'wal_level=logical',
        '-c',
        'max_replication_slots=32',
        '-c',
        'max_wal_senders=32',
      ])
      .withExposedPorts(5432)
      // Over TCP: the image's first-run init server listens on its socket only.
      .withWaitStrategy(Wait.forSuccessfulCommand('pg_isready -h 127.0.0.1 -U postgres -d cdc'));

    const kafka = new GenericContainer(`apache/kafka:${VERSIONS.kafka}`)
      .withNetwork(network)
      .withNetworkAliases('kafka')
      .withEnvironment({
        CLUSTER_ID: 'Y2RjLXBpcGVsaW5lLWRldg',
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        // HOST is reached from the test process through the mapped port; INTERNAL from the network.
        KAFKA_LISTENERS: 'HOST://0.0.0.0:9092,INTERNAL://0.0.0.0:19092,CONTROLLER://localhost:9093',
        KAFKA_ADVERTISED_LISTENERS: `HOST://${host}:${kafkaHostPort},INTERNAL://${KAFKA_INTERNAL}`,
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'HOST:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
        KAFKA_INTER_BROKER_LISTENER_NAME: 'INTERNAL',
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_NUM_PARTITIONS: '1',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      })
      .withExposedPorts({ container: 9092, host: kafkaHostPort })
      .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
      .withStartupTimeout(120_000);

    const registry = new GenericContainer(`apicurio/apicurio-registry:${VERSIONS.apicurio}`)
      .withNetwork(network)
      .withNetworkAliases('registry')
      .withEnvironment({
        APICURIO_STORAGE_KIND: 'kafkasql',
        APICURIO_KAFKASQL_BOOTSTRAP_SERVERS: KAFKA_INTERNAL,
      })
      .withExposedPorts(8080)
      // Ready once the Confluent-compatible API answers, which needs its KafkaSQL topic read.
      .withWaitStrategy(Wait.forHttp(`${CCOMPAT_PATH}/subjects`, 8080).forStatusCode(200))
      .withStartupTimeout(180_000);

    const redis = new GenericContainer('redis:7')
      .withNetwork(network)
      .withNetworkAliases('redis')
      .withCommand(['redis-server', '--appendonly', 'yes'])
      .withExposedPorts(6379)
      .withWaitStrategy(Wait.forLogMessage('Ready to accept connections'));

    const mongo = new GenericContainer('mongo:7')
      .withNetwork(network)
      .withNetworkAliases('mongo')
      .withExposedPorts(27017)
      .withWaitStrategy(Wait.forLogMessage('Waiting for connections'));

    // The official image, as docker-compose.yml runs it (the version and its health probe are
    // explained there); /fhir/metadata answers once the server can take requests.
    const fhir = new GenericContainer('hapiproject/hapi:v8.10.0-3')
      .withNetwork(network)
      .withNetworkAliases('fhir')
      .withEnvironment({ 'hapi.fhir.fhir_version': 'R4' })
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/fhir/metadata', 8080).forStatusCode(200))
      .withStartupTimeout(180_000);

    const zipkin = new GenericContainer(`openzipkin/zipkin:${VERSIONS.zipkin}`)
      .withExposedPorts(9411)
      .withWaitStrategy(Wait.forHttp('/health', 9411).forStatusCode(200))
      .withStartupTimeout(120_000);

    const metrics = await this.metricsContainers();

    // All at once, except the registry, which needs a running broker for its storage.
    const started = {
      postgres: this.run(postgres),
      kafka: this.run(kafka),
      redis: this.run(redis),
      mongo: this.run(mongo),
      fhir: this.run(fhir),
      zipkin: this.run(zipkin),
      alertmanager: this.run(metrics.alertmanager),
      prometheus: this.run(metrics.prometheus),
    };
    const withRegistry = { ...started, registry: started.kafka.then(() => this.run(registry)) };
    // Settle every start before failing, so that start()'s cleanup sees each container that came up.
    const failure = (await Promise.allSettled(Object.values(withRegistry))).find(
      (result): result is PromiseRejectedResult => result.status === 'rejected',
    );
    if (failure) throw failure.reason;

    // Our own emulators of SaaS APIs run in this process: they are this checkout's code, not images.
    const notion = await startNotionEmulator({ port: 0 });
    this.emulators.push(notion);
    const calendar = await startCalendarEmulator({ port: 0 });
    this.emulators.push(calendar);

    const url = (container: StartedTestContainer, port: number) =>
      `${container.getHost()}:${container.getMappedPort(port)}`;
    return readStackEnv({
      CDC_PG_URL: `postgres://postgres@${url(await started.postgres, 5432)}/cdc`,
      KAFKA_BROKERS: `${host}:${kafkaHostPort}`,
      SCHEMA_REGISTRY_URL: `http://${url(await withRegistry.registry, 8080)}${CCOMPAT_PATH}`,
      REDIS_URL: `redis://${url(await started.redis, 6379)}`,
      MONGO_URL: `mongodb://${url(await started.mongo, 27017)}`,
      FHIR_URL: `http://${url(await started.fhir, 8080)}/fhir`,
      NOTION_URL: notion.url,
      GOOGLE_CALENDAR_URL: calendar.url,
      ZIPKIN_URL: `http://${url(await started.zipkin, 9411)}`,
      PROMETHEUS_URL: `http://127.0.0.1:${metrics.prometheusPort}`,
      ALERTMANAGER_URL: `http://127.0.0.1:${metrics.alertmanagerPort}`,
      CDC_METRICS_TARGETS_DIR: metrics.targetsDir,
    });
  }

  /**
   * Prometheus and Alertmanager, configured as the local stack configures them. Prometheus scrapes
   * the metrics servers of the test process, which listen on the host's 127.0.0.1 (the address
   * registerScrapeTarget writes), and only the host's network reaches that: so both run in it, on
   * free ports picked beforehand, with the discovery folder bind-mounted from the host. That needs
   * a Docker engine on this machine (on Docker Desktop, with host networking turned on).
   */
  private async metricsContainers() {
    const targetsDir = await mkdtemp(join(tmpdir(), 'cdc-scrape-targets-'));
    this.folders.push(targetsDir);
    await chmod(targetsDir, 0o755); // the images run as nobody
    const ports = new RandomPortGenerator();
    const prometheusPort = await ports.generatePort();
    let alertmanagerPort = await ports.generatePort();
    while (alertmanagerPort === prometheusPort) alertmanagerPort = await ports.generatePort();
    const ready = (port: number) =>
      Wait.forSuccessfulCommand(`wget -q -O /dev/null http://127.0.0.1:${port}/-/ready`);

    const alertmanager = new GenericContainer(`prom/alertmanager:v${VERSIONS.alertmanager}`)
      .withNetworkMode('host')
      .withCopyContentToContainer([
        { content: stringify(alertmanagerConfig()), target: '/etc/alertmanager/cdc.yml', mode: 0o644 },
      ])
      .withCommand([
        '--config.file=/etc/alertmanager/cdc.yml',
        '--storage.path=/alertmanager',
        `--web.listen-address=127.0.0.1:${alertmanagerPort}`,
        '--cluster.listen-address=',
      ])
      .withWaitStrategy(ready(alertmanagerPort));

    const rules = existsSync(alertRulesFile()) ? '/etc/prometheus/alerts.yml' : undefined;
    const config = prometheusConfig({
      targetsDir: '/etc/prometheus/targets',
      alertmanager: `127.0.0.1:${alertmanagerPort}`,
      rules,
    });
    const prometheus = new GenericContainer(`prom/prometheus:v${VERSIONS.prometheus}`)
      .withNetworkMode('host')
      .withBindMounts([{ source: targetsDir, target: '/etc/prometheus/targets', mode: 'ro' }])
      .withCopyContentToContainer([
        { content: stringify(config), target: '/etc/prometheus/cdc.yml', mode: 0o644 },
      ])
      .withCopyFilesToContainer(rules ? [{ source: alertRulesFile(), target: rules, mode: 0o644 }] : [])
      .withCommand([
        '--config.file=/etc/prometheus/cdc.yml',
        '--storage.tsdb.path=/prometheus',
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
      ])
      .withWaitStrategy(ready(prometheusPort));

    return { alertmanager, prometheus, prometheusPort, alertmanagerPort, targetsDir };
  }

  /** Starts a container and remembers it for stop(). */
  private async run(container: GenericContainer): Promise<StartedTestContainer> {
    const started = await container.start();
    this.containers.push(started);
    return started;
  }

  async stop(): Promise<void> {
    // One at a time, latest first: the registry stops before the broker it writes to, and the
    // network only once nothing is attached to it. A failure does not keep the rest running.
    const errors: unknown[] = [];
    for (const emulator of this.emulators.splice(0)) {
      await emulator.close().catch((error: unknown) => errors.push(error));
    }
    for (const container of this.containers.splice(0).reverse()) {
      await container.stop().catch((error: unknown) => errors.push(error));
    }
    await this.network?.stop().catch((error: unknown) => errors.push(error));
    this.network = undefined;
    for (const folder of this.folders.splice(0)) await rm(folder, { recursive: true, force: true });
    if (errors.length > 0) throw new AggregateError(errors, 'could not stop every test container');
  }
}
