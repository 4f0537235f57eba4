import type { Admin, Kafka } from 'kafkajs';
import { CdcError, errorMessage } from '../errors.ts';
import { sinkOfGroup } from '../kafka/group-names.ts';
import { readRanges } from './read-range.ts';

export type RewindTarget =
  | { readonly kind: 'beginning' }
  /** The same offset on every partition, brought within what the partition holds. */
  | { readonly kind: 'offset'; readonly offset: string }
  /** The first record at or after this time (epoch ms); the end of partitions with none. */
  | { readonly kind: 'timestamp'; readonly ms: number };

export interface RewoundPartition {
  readonly topic: string;
  readonly partition: number;
  /** The committed offset before; null when the group had none (it would start from the beginning). */
  readonly from: string | null;
  readonly to: string;
}

/**
 * Moves a consumer group's committed offsets on every partition of its topics, so that its next
 * run reads again from there. Refuses while the group has members: a running consumer would
 * overwrite the new offsets with its own at its next commit.
 */
export async function rewindGroup(
  admin: Admin,
  options: { readonly groupId: string; readonly topics: readonly string[]; readonly to: RewindTarget },
): Promise<RewoundPartition[]> {
  const { groupId, to } = options;
  await refuseActiveGroup(admin, groupId);
  const topics = await existingTopics(admin, options.topics);
  const before = await committedOffsets(admin, groupId, topics);
  const rewound: RewoundPartition[] = [];
  for (const topic of topics) {
    const watermarks = await admin.fetchTopicOffsets(topic);
    const byTime =
      to.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, to.ms) : undefined;
    const partitions = watermarks
      .map(({ partition, low, high }) => {
        const target =
          to.kind === 'beginning'
            ? BigInt(low)
            : to.kind === 'offset'
              ? clamp(BigInt(to.offset), BigInt(low), BigInt(high))
              : clamp(
                  BigInt(byTime?.find((o) => o.partition === partition)?.offset ?? high),
                  BigInt(low),
                  BigInt(high),
                );
        return { partition, offset: target.toString() };
      })
      .sort((a, b) => a.partition - b.partition);
    try {
      await setOffsetsSettled(admin, groupId, topic, partitions);
    } catch (error) {
      // A consumer that joined since the check above.
      if (/no running instances/.test(errorMessage(error))) await refuseActiveGroup(admin, groupId);
      throw error;
    }
    for (const { partition, offset } of partitions)
      rewound.push({ topic, partition, from: before.get(`${topic}/${partition}`) ?? null, to: offset });
  }
  return rewound;
}

export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** Where the group resumes: its committed offset, or the partition's start when it has none. */
  readonly position: string;
  /** The high watermark (last stable offset: records of open transactions are not counted). */
  readonly head: string;
  readonly remaining: number;
}

export interface GroupProgress {
  /** Positions summed over partitions. */
  readonly committed: number;
  /** High watermarks summed over partitions. */
  readonly head: number;
  /** Offsets between the positions and the heads, summed; transaction markers count as one each. */
  readonly remaining: number;
  readonly partitions: readonly PartitionProgress[];
}

/** How far a group has come through its topics, from its committed offsets and the watermarks. */
export async function groupProgress(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<GroupProgress> {
  const present = await existingTopics(admin, topics);
  const committed = await committedOffsets(admin, groupId, present);
  const partitions: PartitionProgress[] = [];
  for (const topic of present) {
    for (const { partition, low, high } of await admin.fetchTopicOffsets(topic)) {
      const position = committed.get(`${topic}/${partition}`) ?? low;
      const remaining = BigInt(high) - BigInt(position);
      partitions.push({
        topic,
        partition,
        position,
        head: high,
        remaining: remaining > 0n ? Number(remaining) : 0,
      });
    }
  }
  partitions.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    committed: partitions.reduce((sum, p) => sum + Number(p.position), 0),
    head: partitions.reduce((sum, p) => sum + Number(p.head), 0),
    remaining: partitions.reduce((sum, p) => sum + p.remaining, 0),
    partitions,
  };
}

/**
 * How many records the group has yet to read, counted by reading them. Offsets alone overcount:
 * a transactional producer's commit marker takes an offset that no consumer ever receives, and a
 * consumer that commits "last record + 1" therefore stays one offset short of the head for good.
 */
export async function unreadRecords(kafka: Kafka, progress: GroupProgress): Promise<number> {
  let unread = 0;
  const byTopic = new Map<string, PartitionProgress[]>();
  for (const p of progress.partitions)
    if (p.remaining > 0) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p]);
  for (const [topic, partitions] of byTopic) {
    const ranges = partitions.map((p) => ({ partition: p.partition, from: p.position, to: p.head }));
    unread += (await readRanges(kafka, topic, ranges)).length;
  }
  return unread;
}

async function refuseActiveGroup(admin: Admin, groupId: string): Promise<void> {
  const { groups } = await admin.describeGroups([groupId]);
  const members = groups.find((g) => g.groupId === groupId)?.members ?? [];
  if (members.length === 0) return;
  const list = members.map((m) => `${m.clientId} on ${m.clientHost.replace(/^\//, '')}`).join(', ');
  const sink = sinkOfGroup(groupId);
  const fix = sink
    ? `stop the sink first (cdc sink run ${sink} is still running: members ${list})`
    : `stop every consumer of group ${groupId} first (still running: members ${list})`;
  throw new CdcError(
    'GROUP_ACTIVE',
    `consumer group ${groupId} has ${members.length} active member(s); its offsets cannot be moved`,
    { fix, details: { groupId, members: members.map((m) => m.memberId) } },
  );
}

async function existingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const known = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !known.has(t));
  if (missing.length > 0) {
    throw new CdcError('UNKNOWN_TOPIC', `no such topic: ${missing.join(', ')}`, {
      fix: 'check the topic names (has the source or processor that writes them run yet?)',
    });
  }
  return [...new Set(topics)];
}

/** `topic/partition` -> committed offset, for partitions that have one. */
async function committedOffsets(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (topics.length === 0) return out;
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics: [...topics] }))
    for (const { partition, offset } of partitions)
      if (BigInt(offset) >= 0n) out.set(`${topic}/${partition}`, offset);
  return out;
}

/**
 * kafkajs' setOffsets returns once its helper consumer fetched, which can be before the group
 * coordinator has the seeked offsets (seen under load): read them back, and set them again if
 * they are not there yet, so that a rewind is done when this returns.
 */
async function setOffsetsSettled(
  admin: Admin,
  groupId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: string }>,
): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    await admin.setOffsets({ groupId, topic, partitions: [...partitions] });
    for (let check = 0; check < 20; check += 1) {
      const committed = await committedOffsets(admin, groupId, [topic]);
      if (partitions.every(({ partition, offset }) => committed.get(`${topic}/${partition}`) === offset))
        return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (attempt === 3) {
      throw new CdcError(
        'REWIND_UNSETTLED',
        `the offsets of group ${groupId} on ${topic} did not take the new values`,
        {
          retriable: true,
          fix: 'check that nothing else commits for this group (a sink still running elsewhere?) and run the replay again',
        },
      );
    }
  }
}

function clamp(value: bigint, low: bigint, high: bigint): bigint {
  return value < low ? low : value > high ? high : value;
}
