// Writes schemas/pipeline.schema.json and docs/pipeline-config.md from the pipeline's zod schema,
// and docs/error-codes.md from the table of error codes.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CODES_FILE, errorCodeReferenceText } from '@cdc/core';
import { JSON_SCHEMA_FILE, REFERENCE_FILE, jsonSchemaText, referenceText } from '@cdc/pipeline';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}${JSON_SCHEMA_FILE}`, jsonSchemaText());
writeFileSync(`${root}${REFERENCE_FILE}`, referenceText());
writeFileSync(`${root}${ERROR_CODES_FILE}`, errorCodeReferenceText());
console.log(`wrote ${JSON_SCHEMA_FILE}, ${REFERENCE_FILE} and ${ERROR_CODES_FILE}`);
