import { parseKeyTemplate as parseTemplate, type KeyTemplate } from '@cdc/core';

export type { KeyTemplate };

/** A lookup key template: placeholders may name any field of the row. */
export function parseKeyTemplate(source: string): KeyTemplate | string {
  return parseTemplate(source, {
    placeholder: 'an Avro field name',
    noField: "must reference at least one field, such as 'facility:{facility_id}'",
  });
}
