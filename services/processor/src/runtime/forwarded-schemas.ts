import { CdcError, PoisonError, RegistryCodec, errorMessage, partReason, type RecordPart } from '@cdc/core';
import type { Violation } from '../row.ts';

/**
 * Registers the schemas of records passed on unchanged (keys, and a validator's values) under the
 * output topic's subjects, so the output topic is described in the registry like any other. The
 * registry normally answers with the same id (same content); if it does not, the bytes get the
 * output id. A subject that refuses the schema (incompatible) makes those records dead letters.
 */
export class ForwardedSchemas {
  readonly #codec: RegistryCodec;
  readonly #part: RecordPart;
  readonly #subject: string;
  readonly #ids = new Map<number, number | Violation>();

  /** For the key or the value part of the records written to `output` (subject `<output>-<part>`). */
  constructor(codec: RegistryCodec, output: string, part: RecordPart) {
    this.#codec = codec;
    this.#part = part;
    this.#subject = `${output}-${part}`;
  }

  /** Registers what the batch needs; throws only for retriable registry failures. */
  async prepare(encoded: Iterable<Buffer | null>): Promise<void> {
    const ids = new Set<number>();
    for (const bytes of encoded) {
      if (!bytes) continue;
      try {
        const id = RegistryCodec.schemaIdOf(bytes);
        if (!this.#ids.has(id)) ids.add(id);
      } catch {
        // Poison: `forward` reports it for that record.
      }
    }
    if (ids.size === 0) return;
    await this.#codec.load(ids);
    await Promise.all(
      [...ids].map(async (id) => {
        const schema = this.#codec.schemaOf(id);
        if (!schema) return; // unknown id: poison, reported by forward
        try {
          this.#ids.set(id, await this.#codec.register(this.#subject, schema));
        } catch (error) {
          if (isRetriable(error)) throw error;
          this.#ids.set(
            id,
            partReason(
              'schema',
              this.#part,
              id,
              `the registry refused schema id ${id} under ${this.#subject}: ${errorMessage(error)}`,
            ),
          );
        }
      }),
    );
  }

  /** The bytes to write, or why they cannot be written (throws PoisonError for bad bytes). */
  forward(bytes: Buffer): Buffer | Violation {
    const inputId = RegistryCodec.schemaIdOf(bytes);
    const outputId = this.#ids.get(inputId);
    if (outputId === undefined)
      throw new PoisonError('UNKNOWN_SCHEMA', `schema id ${inputId} is not in the registry`);
    if (typeof outputId !== 'number') return outputId;
    if (outputId === inputId) return bytes;
    const copy = Buffer.from(bytes);
    copy.writeUInt32BE(outputId, 1);
    return copy;
  }
}

/**
 * Network trouble and 5xx answers are worth retrying; a 4xx refusal (409 incompatible) is not, nor
 * the client's own refusals (ConfluentSchemaRegistry*Error, which the package does not export).
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof CdcError) return error.retriable;
  if (error instanceof Error && error.name.startsWith('ConfluentSchemaRegistry')) return false;
  const status = (error as { status?: unknown }).status;
  return typeof status !== 'number' || status >= 500;
}
