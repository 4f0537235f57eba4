import { readFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { STACK_ENV_NAMES } from '@cdc/core';
import { Stack, VERSIONS, alertmanagerConfig, prometheusConfig, readStackSettings } from '../src/index.ts';

// docker-compose.yml is the Docker alternative to the local stack. These checks keep the two in
// agreement: same service names, same contract variables, same host ports.

interface PortObject {
  target?: number | string;
  published?: number | string;
  host_ip?: string;
}

interface ComposeService {
  image?: string;
  labels?: Record<string, string> | string[];
  ports?: Array<string | number | PortObject>;
  environment?: Record<string, string | number | boolean | null> | string[];
  healthcheck?: { test?: string | string[]; disable?: boolean };
  network_mode?: string;
  command?: string | string[];
  volumes?: Array<string | { source?: string; target?: string }>;
}

interface ComposeFile {
  services?: Record<string, ComposeService>;
  'x-cdc-env'?: Record<string, unknown>;
}

const composePath = fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url));
const compose = parse(readFileSync(composePath, 'utf8')) as ComposeFile;
const repoFile = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));
const readYaml = (path: string) => parse(readFileSync(repoFile(path), 'utf8')) as unknown;
const services = compose.services ?? {};
// Constructing the stack reads settings only; it starts nothing. `{}`: the defaults, whatever this shell sets.
const stack = new Stack(readStackSettings({}));
const ENV_LABEL = 'dev.cdc.env';

function labelsOf(service: ComposeService): Record<string, string> {
  const labels = service.labels ?? {};
  if (!Array.isArray(labels)) return labels;
  return keyValues(labels);
}

/** Compose's list form of labels and environment: ["KEY=value", ...]. */
function keyValues(entries: string[]): Record<string, string> {
  return Object.fromEntries(
    entries.map((entry) => {
      const at = entry.indexOf('=');
      return at < 0 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
    }),
  );
}

/** Bind mounts as host path to container path (short syntax `host:container[:mode]`, or long). */
function volumesOf(service: ComposeService): Map<string, string> {
  return new Map(
    (service.volumes ?? []).flatMap((entry): Array<[string, string]> => {
      if (typeof entry === 'object')
        return entry.source && entry.target ? [[entry.source, entry.target]] : [];
      const [source = '', target = ''] = entry.split(':');
      return [[source, target]];
    }),
  );
}

function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return keyValues(env);
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value)]));
}

/** The services that name a contract variable, as service name to variable. */
function labelledServices(): Map<string, string> {
  const result = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    const variable = labelsOf(service)[ENV_LABEL];
    if (variable !== undefined) result.set(name, variable);
  }
  return result;
}

interface Published {
  hostIp: string | undefined;
  hostPort: number;
}

/**
 * Host side of each `ports` entry, short syntax ([ip:]host:container[/proto]) or long syntax; for a
 * service in the host's network, which publishes nothing, the address its command listens on.
 */
function publishedPorts(service: ComposeService): Published[] {
  if (service.network_mode === 'host') {
    const command =
      typeof service.command === 'string' ? service.command.split(/\s+/) : (service.command ?? []);
    return command.flatMap((arg): Published[] => {
      const match = /^--web\.listen-address=(.+):(\d+)$/.exec(arg);
      return match ? [{ hostIp: match[1], hostPort: Number(match[2]) }] : [];
    });
  }
  return (service.ports ?? []).flatMap((entry): Published[] => {
    if (typeof entry === 'object') {
      return entry.published === undefined
        ? []
        : [{ hostIp: entry.host_ip, hostPort: Number(entry.published) }];
    }
    const spec = String(entry).replace(/\/(tcp|udp)$/, '');
    const match = /^(?:(.+):)?(\d+):(\d+)$/.exec(spec);
    if (!match) return []; // container port only: Docker picks a random host port
    return [{ hostIp: match[1]?.replace(/^\[|\]$/g, ''), hostPort: Number(match[2]) }];
  });
}

/** host:port pairs a client of this contract URL connects to. */
function endpointsOf(variable: string, value: string): Array<{ host: string; port: number }> {
  if (variable === 'KAFKA_BROKERS') {
    return value.split(',').map((broker) => {
      const [host = '', port = ''] = broker.split(':');
      return { host, port: Number(port) };
    });
  }
  const url = new URL(value);
  expect(url.port, `${variable}=${value} should name its port`).not.toBe('');
  return [{ host: url.hostname, port: Number(url.port) }];
}

describe('docker-compose.yml', () => {
  it('has a service for each local stack component, labelled with its contract variable', () => {
    const labelled = labelledServices();
    expect([...labelled.keys()].sort()).toEqual(stack.components.map((c) => c.name).sort());
    for (const component of stack.components) {
      expect(labelled.get(component.name), `label ${ENV_LABEL} of service ${component.name}`).toBe(
        component.envVar,
      );
    }
  });

  it('lists the contract variables in x-cdc-env with the local stack defaults', () => {
    const env = compose['x-cdc-env'];
    expect(env, 'top-level x-cdc-env').toBeDefined();
    expect(Object.keys(env ?? {}).sort()).toEqual([...STACK_ENV_NAMES].sort());
    const local = stack.env();
    // A folder, which stack:env prints absolute; here it is relative to this file, as compose's
    // bind mounts are.
    const targets = relative(dirname(composePath), local.CDC_METRICS_TARGETS_DIR);
    expect(env).toEqual({ ...local, CDC_METRICS_TARGETS_DIR: targets });
  });

  it("mounts the stack's scrape-target folder, the alert rules and the configurations into Prometheus", () => {
    const env = compose['x-cdc-env'] ?? {};
    const mounts = volumesOf(services.prometheus ?? {});
    expect(mounts.get(`./${String(env.CDC_METRICS_TARGETS_DIR)}`)).toBe('/etc/prometheus/targets');
    expect(mounts.get('./deploy/prometheus/alerts.yml')).toBe('/etc/prometheus/alerts.yml');
    expect(mounts.get('./deploy/prometheus/prometheus.compose.yml')).toBe('/etc/prometheus/prometheus.yml');
    // The local stack's configuration, with the container's paths.
    const alertmanager = new URL(stack.env().ALERTMANAGER_URL).host;
    expect(readYaml('deploy/prometheus/prometheus.compose.yml')).toEqual(
      prometheusConfig({
        targetsDir: '/etc/prometheus/targets',
        alertmanager,
        rules: '/etc/prometheus/alerts.yml',
      }),
    );
    expect(volumesOf(services.alertmanager ?? {}).get('./deploy/prometheus/alertmanager.yml')).toBe(
      '/etc/alertmanager/alertmanager.yml',
    );
    expect(readYaml('deploy/prometheus/alertmanager.yml')).toEqual(alertmanagerConfig());
  });

  it("provisions Grafana with the stack's Prometheus and the dashboards folder", () => {
    const mounts = volumesOf(services.grafana ?? {});
    expect(mounts.get('./deploy/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const datasources = readYaml('deploy/grafana/provisioning/datasources/prometheus.yaml') as {
      datasources: Array<{ type: string; url: string }>;
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', url: stack.env().PROMETHEUS_URL }),
    ]);
    const dashboards = readYaml('deploy/grafana/provisioning/dashboards/dashboards.yaml') as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(dashboards.providers.map((p) => p.options.path)).toEqual([
      mounts.get('./deploy/grafana/dashboards'),
    ]);
  });

  it("publishes each labelled service on its contract URL's host port", () => {
    const env = stack.env();
    const labelled = labelledServices();
    expect(labelled.size).toBeGreaterThan(0);
    for (const [name, variable] of labelled) {
      const value = env[variable as keyof typeof env];
      expect(value, `${variable} is a contract variable`).toBeDefined();
      const published = publishedPorts(services[name] ?? {});
      for (const { host, port } of endpointsOf(variable, value)) {
        const reachable = published.some(
          (p) =>
            p.hostPort === port && (p.hostIp === undefined || p.hostIp === '0.0.0.0' || p.hostIp === host),
        );
        expect(
          reachable,
          `service ${name} should publish ${host}:${port} (ports: ${JSON.stringify(published)})`,
        ).toBe(true);
      }
    }
  });

  it('advertises the contract broker address to Kafka clients on the host', () => {
    const advertised = environmentOf(services.kafka ?? {}).KAFKA_ADVERTISED_LISTENERS ?? '';
    const addresses = advertised.split(',').map((listener) => listener.replace(/^[^:]+:\/\//, ''));
    for (const broker of stack.env().KAFKA_BROKERS.split(',')) expect(addresses).toContain(broker);
  });

  it('gives every service a healthcheck', () => {
    expect(Object.keys(services).length).toBeGreaterThan(0);
    for (const [name, service] of Object.entries(services)) {
      expect(service.healthcheck?.test, `healthcheck of service ${name}`).toBeDefined();
      expect(service.healthcheck?.disable, `healthcheck of service ${name}`).not.toBe(true);
    }
  });

  it('runs the same server versions as the local stack', () => {
    expect(services.kafka?.image).toBe(`apache/kafka:${VERSIONS.kafka}`);
    expect(services.registry?.image).toBe(`apicurio/apicurio-registry:${VERSIONS.apicurio}`);
    expect(services.postgres?.image).toBe(`postgres:${VERSIONS.postgresMajor}`);
    expect(services.zipkin?.image).toBe(`openzipkin/zipkin:${VERSIONS.zipkin}`);
    expect(services.prometheus?.image).toBe(`prom/prometheus:v${VERSIONS.prometheus}`);
    expect(services.alertmanager?.image).toBe(`prom/alertmanager:v${VERSIONS.alertmanager}`);
  });
});
