import type { Message, TopicMessages } from 'kafkajs';

// kafkajs groups a request's records by partition in time quadratic in their number per partition
// (it copies the partition's array for every record), and all of a batch's records go to one partition.
// Capping requests at 1000 records cut the validator's CPU per event by about 10% (BENCHMARKS.md).
const MAX_RECORDS_PER_REQUEST = 1000;

/**
 * An upper bound of a record's size inside a record batch: the varint framing (length,
 * attributes, timestamp and offset deltas, key and value lengths) plus the bytes themselves, and
 * per header its name and value with their length varints.
 */
function recordSizeBound(message: Message): number {
  let size = 32 + (message.key?.length ?? 0) + (message.value?.length ?? 0);
  const headers = message.headers as Record<string, string> | undefined;
  for (const name in headers) size += 10 + Buffer.byteLength(name) + Buffer.byteLength(headers[name]!);
  return size;
}

/**
 * The records in produce requests of at most `budget` bytes and MAX_RECORDS_PER_REQUEST records
 * each, in order (a record over the budget goes alone, and the broker says why it refuses it).
 * Empty topics are left out.
 */
export function splitRequests(topics: readonly TopicMessages[], budget: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let request: TopicMessages[] = [];
  let bytes = 0;
  let count = 0;
  for (const { topic, messages } of topics) {
    let current: Message[] = [];
    for (const message of messages) {
      const size = recordSizeBound(message);
      if (bytes > 0 && (bytes + size > budget || count === MAX_RECORDS_PER_REQUEST)) {
        if (current.length > 0) request.push({ topic, messages: current });
        requests.push(request);
        [request, current, bytes, count] = [[], [], 0, 0];
      }
      current.push(message);
      bytes += size;
      count += 1;
    }
    if (current.length > 0) request.push({ topic, messages: current });
  }
  if (request.length > 0) requests.push(request);
  return requests;
}
