import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type avro from 'avsc';
import { avroType, schemaRegistryOptions } from './avro-types.ts';
import type { AvroRecord } from './avro-schema.ts';
import { SHARED_SETTINGS, describeEndpoint } from './endpoint.ts';
import { CdcError, errorMessage } from './errors.ts';
import { NeedsOperatorError } from './failure.ts';
import { networkProblem } from './network-error.ts';

/** Confluent wire format: magic byte 0, schema id (4 bytes, big-endian), Avro binary. */
const HEADER_BYTES = 5;
/** A registry that has not answered a schema lookup by then is treated as away (the batch waits). */
const FETCH_MS = 10_000;

/**
 * A record that can never be decoded, whatever is retried: bad bytes, or a schema id the registry
 * does not know. It goes to the dead-letter topic; a registry that cannot be reached is not this.
 */
export class PoisonError extends CdcError {
  constructor(code: 'UNDECODABLE' | 'UNKNOWN_SCHEMA', message: string, cause?: unknown) {
    super(code, message, { retriable: false, cause });
    this.name = 'PoisonError';
  }
}

export interface Decoded {
  readonly schemaId: number;
  readonly schema: AvroRecord;
  readonly value: unknown;
}

/**
 * Reads and writes the registry's wire format with our Avro options (BigInt longs, exact
 * decimals), caching schemas by id so that decoding a cached id is synchronous. Ids are looked up
 * over plain HTTP (GET /schemas/ids/<id>) so that an unknown id (poison) is told apart from an
 * unreachable registry (retried).
 */
export class RegistryCodec {
  readonly #url: string;
  /** The registry as the pipeline file names it, for messages. */
  readonly #name: string;
  readonly #registry: SchemaRegistry;
  readonly #byId = new Map<number, { schema: AvroRecord; type: avro.Type }>();
  readonly #registered = new Map<string, Promise<number>>();

  constructor(url: string, setting: string = SHARED_SETTINGS.registry) {
    this.#url = url.replace(/\/+$/u, '');
    this.#name = describeEndpoint('the schema registry', this.#url, setting);
    this.#registry = new SchemaRegistry({ host: this.#url }, schemaRegistryOptions);
  }

  /** The schema id of an encoded value, or a PoisonError for bytes not in the wire format. */
  static schemaIdOf(bytes: Buffer): number {
    if (bytes.length < HEADER_BYTES || bytes[0] !== 0) {
      throw new PoisonError(
        'UNDECODABLE',
        `not in the schema registry's wire format (${bytes.length} bytes, first byte ${bytes[0] ?? 'none'}; expected 0)`,
      );
    }
    return bytes.readUInt32BE(1);
  }

  /** The schema of an id fetched by `load`; undefined for ids the registry does not know. */
  schemaOf(schemaId: number): AvroRecord | undefined {
    return this.#byId.get(schemaId)?.schema;
  }

  /** Fetches the schemas of these ids that are not cached yet; unknown ids are skipped (poison). */
  async load(schemaIds: Iterable<number>): Promise<void> {
    const missing = [...new Set(schemaIds)].filter((id) => !this.#byId.has(id));
    await Promise.all(missing.map((id) => this.#fetch(id).catch(ignorePoison)));
  }

  /** Decodes one value whose schema is cached (see `load`); PoisonError when it cannot be read. */
  decode(bytes: Buffer): Decoded {
    const schemaId = RegistryCodec.schemaIdOf(bytes);
    const entry = this.#byId.get(schemaId);
    if (!entry) throw new PoisonError('UNKNOWN_SCHEMA', `schema id ${schemaId} is not in the registry`);
    try {
      return { schemaId, schema: entry.schema, value: entry.type.fromBuffer(bytes.subarray(HEADER_BYTES)) };
    } catch (error) {
      throw new PoisonError(
        'UNDECODABLE',
        `cannot decode ${bytes.length} bytes with schema id ${schemaId}: ${errorMessage(error)}`,
        error,
      );
    }
  }

  /** Registers a schema under a subject (once per process) and returns its id. */
  register(subject: string, schema: AvroRecord): Promise<number> {
    const key = `${subject}\n${JSON.stringify(schema)}`;
    let id = this.#registered.get(key);
    if (!id) {
      id = this.#registry
        .register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })
        .then(
          ({ id: registered }) => registered,
          (error: unknown) => {
            throw this.#registerFailure(subject, error);
          },
        );
      id.catch(() => this.#registered.delete(key)); // let a later attempt try again
      this.#registered.set(key, id);
    }
    return id;
  }

  /** Encodes a value with a registered schema id. */
  encode(schemaId: number, schema: AvroRecord, value: unknown): Buffer {
    return wireFormat(schemaId, avroType(schema).toBuffer(value));
  }

  async #fetch(schemaId: number): Promise<void> {
    let response: Response;
    try {
      response = await fetch(`${this.#url}/schemas/ids/${schemaId}`, {
        signal: AbortSignal.timeout(FETCH_MS),
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    if (response.status === 404) {
      throw new PoisonError('UNKNOWN_SCHEMA', `schema id ${schemaId} is not in the registry`);
    }
    if (response.status === 401 || response.status === 403) throw this.#refused(response.status);
    if (!response.ok) {
      throw new CdcError(
        'REGISTRY_UNREACHABLE',
        `${this.#name} answered ${response.status} for schema id ${schemaId}`,
        { retriable: true, fix: 'check the schema registry; processing resumes once it answers' },
      );
    }
    const { schema, schemaType } = (await response.json()) as { schema: string; schemaType?: string };
    if (schemaType !== undefined && schemaType !== 'AVRO') {
      throw new PoisonError('UNKNOWN_SCHEMA', `schema id ${schemaId} is ${schemaType}, not Avro`);
    }
    let parsed: AvroRecord;
    let type: avro.Type;
    try {
      parsed = JSON.parse(schema) as AvroRecord;
      type = avroType(parsed);
    } catch (error) {
      throw new PoisonError(
        'UNKNOWN_SCHEMA',
        `schema id ${schemaId} is not an Avro schema we can read: ${errorMessage(error)}`,
        error,
      );
    }
    this.#byId.set(schemaId, { schema: parsed, type });
  }

  #unreachable(error: unknown): CdcError {
    const problem = networkProblem(error) ?? errorMessage(error);
    return new CdcError('REGISTRY_UNREACHABLE', `${this.#name} is unreachable: ${problem}`, {
      retriable: true,
      fix: 'check that the schema registry is up; processing resumes once it answers',
      cause: error,
    });
  }

  #refused(status: number): NeedsOperatorError {
    return new NeedsOperatorError('REGISTRY_REFUSED', `${this.#name} refused this service (HTTP ${status})`, {
      fix: 'give this service credentials the registry accepts (in registry.url) and the right to read and register schemas',
    });
  }

  /** The registry client's failures: a refusal of the schema stays one (not retriable); the rest is the registry being away. */
  #registerFailure(subject: string, error: unknown): unknown {
    const status = (error as { status?: unknown } | null)?.status;
    if (status === 401 || status === 403) return this.#refused(status);
    if (error instanceof Error && error.name.startsWith('ConfluentSchemaRegistry')) return error;
    if (typeof status === 'number' && status < 500) return error;
    if (typeof status === 'number') {
      return new CdcError(
        'REGISTRY_UNREACHABLE',
        `${this.#name} answered ${status} registering under ${subject}`,
        {
          retriable: true,
          fix: 'check the schema registry; processing resumes once it answers',
          cause: error,
        },
      );
    }
    return this.#unreachable(error);
  }
}

function ignorePoison(error: unknown): void {
  if (!(error instanceof PoisonError)) throw error;
}

/** The registry's wire format of an Avro body: magic byte 0, the schema id (4 bytes), the body. */
export function wireFormat(schemaId: number, body: Buffer): Buffer {
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  bytes[0] = 0;
  bytes.writeUInt32BE(schemaId, 1);
  body.copy(bytes, HEADER_BYTES);
  return bytes;
}
