// Writes schemas/pipeline.schema.json and docs/pipeline-config.md from the pipeline's zod schema,
// docs/error-codes.md from the table of error codes and docs/metrics.md from the metric catalog.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES_FILE, METRICS_FILE, errorCodeReferenceText, metricReferenceText } from '@cdc/core';
import { JSON_SCHEMA_FILE, REFERENCE_FILE, jsonSchemaText, referenceText } from '@cdc/pipeline';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}${JSON_SCHEMA_FILE}`, jsonSchemaText());
writeFileSync(`${root}${REFERENCE_FILE}`, referenceText());
writeFileSync(`${root}${ERROR_CODES_FILE}`, errorCodeReferenceText());
writeFileSync(`${root}${METRICS_FILE}`, metricReferenceText());
console.log(`wrote ${JSON_SCHEMA_FILE}, ${REFERENCE_FILE}, ${ERROR_CODES_FILE} and ${METRICS_FILE}`);
