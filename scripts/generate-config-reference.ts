// Writes schemas/pipeline.schema.json and docs/pipeline-config.md from the pipeline's zod schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JSON_SCHEMA_FILE, REFERENCE_FILE, jsonSchemaText, referenceText } from '@cdc/pipeline';

const root = fileURLToPath(new URL('..', import.meta.url));
writeFileSync(`${root}${JSON_SCHEMA_FILE}`, jsonSchemaText());
writeFileSync(`${root}${REFERENCE_FILE}`, referenceText());
console.log(`wrote ${JSON_SCHEMA_FILE} and ${REFERENCE_FILE}`);
