/**
 * The names services are known by in Kafka. Consumer groups hold committed offsets and
 * transactional ids fence a processor's earlier instances, so a changed name would start a
 * service over from its topics' retention (or let two instances write): replay, verify, the
 * stack's clean-up and the services all derive them here.
 */

const SINK_GROUP_PREFIX = 'cdc-sink.';

/** A sink's consumer group (docs/contracts.md, Topics). */
export function sinkGroupId(sink: string): string {
  return `${SINK_GROUP_PREFIX}${sink}`;
}

/** The sink a consumer group belongs to, when it is one of sinkGroupId's. */
export function sinkOfGroup(groupId: string): string | undefined {
  return groupId.startsWith(SINK_GROUP_PREFIX) ? groupId.slice(SINK_GROUP_PREFIX.length) : undefined;
}

/** How a sink names itself to Kafka (members of its group) and to its target. */
export function sinkClientId(sink: string): string {
  return `cdc-sink-${sink}`;
}

/** A processor's consumer group is its name (docs/contracts.md, Topics). */
export function processorGroupId(processor: string): string {
  return processor;
}

export function processorClientId(processor: string): string {
  return `cdc-processor-${processor}`;
}

/**
 * The transactional id of a processor's producer for one input partition (exactly_once): it
 * follows the partition, so that the next owner of the partition fences the previous one.
 */
export function processorTransactionalId(groupId: string, input: string, partition: number): string {
  return `${groupId}.${input}.${partition}`;
}
