import type { DataWrite } from './format.ts';

/**
 * The one atomic step of the sink: compare versions and write data plus bookkeeping. The sink
 * decides what to write from a pipelined read; the script writes it only if the record is still
 * as read (same version, same data fingerprint), so neither a concurrent sink nor a direct edit
 * that came in between is overwritten unseen. Replies: `ok`, `stale` (a version as new or newer
 * is stored: nothing to do) or `moved` (changed since the read: read again and decide again).
 *
 * KEYS: data key, bookkeeping key.
 * ARGV: format (hash|json), expected version ('' none), expected fingerprint ('' absent),
 *   new version, action (put|del), data TTL seconds ('' none), bookkeeping TTL ms ('' none),
 *   number of set entries, number of removed fields, then the set entries (hash: field/value
 *   pairs; json: the document), the removed fields, and the bookkeeping as field/value pairs.
 */
export const WRITE_SCRIPT = `
local function newer(a, b)
  -- Versions are fixed-width hex; compared byte by byte because Lua's < follows the locale.
  for i = 1, #a do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x > y end
  end
  return false
end

local function fingerprint(format, key)
  if format == 'json' then
    local document = redis.call('GET', key)
    if not document then return '' end
    return string.sub(redis.sha1hex(document), 1, 16)
  end
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return '' end
  local high, low = 0, 0
  for i = 1, #flat, 2 do
    local sum = redis.sha1hex(flat[i] .. '\\0' .. flat[i + 1])
    high = bit.bxor(high, tonumber(string.sub(sum, 1, 8), 16))
    low = bit.bxor(low, tonumber(string.sub(sum, 9, 16), 16))
  end
  return bit.tohex(high, 8) .. bit.tohex(low, 8)
end

local format, version = ARGV[1], ARGV[4]
local stored = redis.call('HGET', KEYS[2], 'v') or ''
if stored ~= '' and not newer(version, stored) then return 'stale' end
if stored ~= ARGV[2] or fingerprint(format, KEYS[1]) ~= ARGV[3] then return 'moved' end

local nset, nremove = tonumber(ARGV[8]), tonumber(ARGV[9])
local at = 10
if ARGV[5] == 'del' then
  redis.call('DEL', KEYS[1])
elseif format == 'json' then
  redis.call('SET', KEYS[1], ARGV[at], 'KEEPTTL')
  at = at + 1
else
  if nset > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, at, at + 2 * nset - 1)) end
  at = at + 2 * nset
  if nremove > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, at, at + nremove - 1)) end
  at = at + nremove
end
if ARGV[6] ~= '' then redis.call('EXPIRE', KEYS[1], ARGV[6]) end

-- Rewritten whole: this also drops the expiry of a delete marker that an insert revives.
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, at, #ARGV))
if ARGV[7] ~= '' then redis.call('PEXPIRE', KEYS[2], ARGV[7]) end
return 'ok'
`;

export type ScriptReply = 'ok' | 'stale' | 'moved';

export interface ScriptWrite {
  readonly format: 'hash' | 'json';
  /** The record as the decision saw it. */
  readonly expectedVersion: string | null;
  readonly expectedFingerprint: string;
  readonly version: string;
  readonly action: 'put' | 'del';
  readonly ttlSeconds: number | undefined;
  readonly bookkeepingTtlMs: number | undefined;
  readonly data: DataWrite | null;
  /** Field/value pairs of the whole bookkeeping hash. */
  readonly bookkeeping: readonly string[];
}

export function scriptArgs(write: ScriptWrite): (string | Buffer)[] {
  const data = write.data;
  const setEntries = data === null ? 0 : write.format === 'json' ? data.set.length : data.set.length / 2;
  return [
    write.format,
    write.expectedVersion ?? '',
    write.expectedFingerprint,
    write.version,
    write.action,
    write.ttlSeconds === undefined ? '' : String(write.ttlSeconds),
    write.bookkeepingTtlMs === undefined ? '' : String(write.bookkeepingTtlMs),
    String(setEntries),
    String(data?.remove.length ?? 0),
    ...(data?.set ?? []),
    ...(data?.remove ?? []),
    ...write.bookkeeping,
  ];
}
