import { CdcError } from '@cdc/core';
import type { Violation } from '../row.ts';
import type { StepKind } from './step-config.ts';

/**
 * One record the steps cannot transform (an unparseable phone, an impossible coercion...). The
 * runtime dead-letters that record with `violation` and carries on with the rest.
 */
export class TransformError extends CdcError {
  readonly #violation: Violation;

  constructor(kind: StepKind, field: string | null, message: string, cause?: unknown) {
    super('TRANSFORM_FAILED', `transform:${kind} on ${field ?? 'the row'}: ${message}`, {
      details: { rule: `transform:${kind}`, field },
      cause,
    });
    this.name = 'TransformError';
    this.#violation = { rule: `transform:${kind}`, field, message };
  }

  get violation(): Violation {
    return this.#violation;
  }
}

/** Where a step sits in the list, as operators count them in their YAML. */
export interface StepPlace {
  readonly index: number;
  readonly kind: StepKind;
}

/** The steps do not fit an input schema: a configuration problem, found once per schema version. */
export function schemaError(place: StepPlace, field: string, problem: string, fix: string): CdcError {
  return new CdcError(
    'TRANSFORM_SCHEMA',
    `step ${place.index + 1} (${place.kind}), field ${field}: ${problem}`,
    { fix, details: { step: place.index, kind: place.kind, field } },
  );
}
