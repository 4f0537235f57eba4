import type { Admin, ConfigResourceTypes, IHeaders, Message, TopicMessages } from 'kafkajs';

// ConfigResourceTypes.TOPIC: kafkajs's enum is not a named export Node's ESM loader can see.
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

/** The broker's default message.max.bytes, used while a topic's own limit is not known. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Room for the record batch header (61 bytes), the request's topic/partition framing and slack. */
export const BATCH_OVERHEAD_BYTES = 4096;

/** The record bytes per produce request under the broker's default limit. */
export const DEFAULT_SEND_BUDGET = DEFAULT_MAX_MESSAGE_BYTES - BATCH_OVERHEAD_BYTES;

/** What consumers fetch per partition and batch by default (kafkajs maxBytesPerPartition). */
export const DEFAULT_FETCH_BYTES_PER_PARTITION = 1024 * 1024;

/**
 * kafkajs groups a request's records by partition in time quadratic in their number per partition
 * (it copies the partition's array for every record). Capping requests at 1000 records cut the
 * validator's CPU per event by about 10% (BENCHMARKS.md), where a batch's records all go to one
 * partition.
 */
export const MAX_RECORDS_PER_REQUEST = 1000;

/** The parts of a record that count towards its size. */
export interface SizedRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: IHeaders | Readonly<Record<string, string>>;
}

const byteLength = (bytes: Buffer | string | null | undefined): number =>
  bytes === null || bytes === undefined
    ? 0
    : typeof bytes === 'string'
      ? Buffer.byteLength(bytes)
      : bytes.length;

/**
 * An upper bound of a record's size inside a record batch: the varint framing of length,
 * attributes, timestamp and offset deltas, key and value lengths (at most 5 + 1 + 10 + 5 + 5 + 5)
 * plus the bytes themselves, and per header its name and value with their length varints.
 */
export function recordSizeBound(record: SizedRecord): number {
  let size = 32 + byteLength(record.key) + byteLength(record.value);
  const headers = record.headers;
  for (const name in headers) {
    const value = headers[name];
    if (Array.isArray(value)) {
      for (const item of value) size += 10 + Buffer.byteLength(name) + byteLength(item);
    } else if (value !== undefined) {
      size += 10 + Buffer.byteLength(name) + byteLength(value);
    }
  }
  return size;
}

/**
 * max.message.bytes of each topic (the broker's message.max.bytes unless the topic overrides it),
 * for the topics whose figure the broker gave. Never throws: without a figure the default applies,
 * and a smaller limit then shows up as MESSAGE_TOO_LARGE naming the topic, not as lost data.
 */
export async function readMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const limits = new Map<string, number>();
  if (topics.length === 0) return limits;
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['max.message.bytes'] })),
    });
    for (const resource of resources) {
      const value = Number(
        resource.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue,
      );
      if (Number.isInteger(value) && value > 0) limits.set(resource.resourceName, value);
    }
  } catch {
    // The defaults apply (see above).
  }
  return limits;
}

/**
 * Record bytes per produce request for requests that write these topics' limits (undefined: not
 * known, the broker's default): under the smallest, so that a request stays under it even when
 * all its records go to one partition.
 */
export function sendBudget(limits: Iterable<number | undefined>): number {
  let limit = Infinity;
  for (const value of limits) limit = Math.min(limit, value ?? DEFAULT_MAX_MESSAGE_BYTES);
  if (limit === Infinity) return DEFAULT_SEND_BUDGET;
  return Math.max(1, limit - BATCH_OVERHEAD_BYTES);
}

/**
 * The records in produce requests of at most `budget` bytes (recordSizeBound) and `maxRecords`
 * records each, in order: each request is to be sent after the previous one was acknowledged. A
 * record over the budget goes alone (and the broker says why it refuses it). Within a request,
 * the records of one topic are one entry; topics without records are left out.
 */
export function splitRequests(
  topics: readonly TopicMessages[],
  budget: number,
  maxRecords: number = Infinity,
): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let request = new Map<string, Message[]>();
  let bytes = 0;
  let count = 0;
  for (const { topic, messages } of topics) {
    let current: Message[] | undefined;
    for (const message of messages) {
      const size = recordSizeBound(message);
      if (count > 0 && (bytes + size > budget || count >= maxRecords)) {
        requests.push(requestOf(request));
        request = new Map();
        current = undefined;
        bytes = 0;
        count = 0;
      }
      if (!current) {
        current = request.get(topic);
        if (!current) request.set(topic, (current = []));
      }
      current.push(message);
      bytes += size;
      count += 1;
    }
  }
  if (count > 0) requests.push(requestOf(request));
  return requests;
}

function requestOf(request: Map<string, Message[]>): TopicMessages[] {
  return [...request].map(([topic, messages]) => ({ topic, messages }));
}
