/**
 * The bookkeeping hash beside each record (`<key>:cdc`): `v` the version of our last write
 * (versionText: string order is version order), `d` = 1 for a delete marker, and `f:<field>` the
 * digest of each field as we last wrote it, from which a direct edit of the target shows.
 */

export interface Bookkeeping {
  readonly version: string | null;
  readonly deleted: boolean;
  readonly digests: ReadonlyMap<string, string>;
}

const VERSION_TEXT = /^[0-9a-f]{16}\/[0-9a-f]{16}$/;
const FIELD_PREFIX = 'f:';

export function parseBookkeeping(hash: Readonly<Record<string, string>>): Bookkeeping | string {
  const digests = new Map<string, string>();
  let version: string | null = null;
  let deleted = false;
  for (const [name, value] of Object.entries(hash)) {
    if (name.startsWith(FIELD_PREFIX)) digests.set(name.slice(FIELD_PREFIX.length), value);
    else if (name === 'v') version = value;
    else if (name === 'd') deleted = value === '1';
  }
  if (version === null && Object.keys(hash).length === 0) return { version, deleted, digests };
  if (version === null || !VERSION_TEXT.test(version)) {
    return (
      `its bookkeeping hash holds no valid version (v = ${JSON.stringify(version)}); ` +
      'delete the <key>:cdc hash if the record may be rewritten from the topic'
    );
  }
  return { version, deleted, digests };
}

/** The whole bookkeeping hash as field/value pairs, as the script writes it. */
export function bookkeepingEntries(
  version: string,
  deleted: boolean,
  digests: ReadonlyMap<string, string>,
): string[] {
  const entries = ['v', version];
  if (deleted) entries.push('d', '1');
  for (const [name, value] of digests) entries.push(FIELD_PREFIX + name, value);
  return entries;
}
