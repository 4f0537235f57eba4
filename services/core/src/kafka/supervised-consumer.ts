import type { Consumer, ConsumerConfig, ConsumerRunConfig, Kafka } from 'kafkajs';
import { needsOperator } from '../failure.ts';
import { dependencyOf, establishAll, resolved, waited, type Backoff, type WaitContext } from '../waiting.ts';
import { CLIENT_RETRY } from './client.ts';
import { kafkaFailure } from './kafka-failure.ts';

export interface SupervisedConsumerOptions {
  readonly kafka: Kafka;
  /** The brokers as the pipeline file names them (describeKafka), for messages. */
  readonly kafkaName: string;
  readonly config: Omit<ConsumerConfig, 'retry' | 'allowAutoTopicCreation'>;
  readonly topics: readonly string[];
  readonly run: Omit<ConsumerRunConfig, 'eachMessage'>;
  /** Done before each (re)start, e.g. making sure the topics exist; it is waited for like Kafka. */
  readonly prepare?: () => Promise<void>;
  readonly wait: WaitContext;
  /** A failure only an operator can fix: nothing is restarted after it. */
  readonly onFatal: (error: unknown) => void;
  /** The consumer (re)joined its group: its partitions may be others than before. */
  readonly onJoin?: () => void;
}

/** How long stopping waits for a consumer to leave its group (a broker that is away never answers). */
const DISCONNECT_MS = 10_000;
/**
 * Between attempts to start a consumer: a refused connection costs nothing, and a broker that is
 * back should not wait long for us.
 */
const RESTART_BACKOFF: Backoff = { minMs: 500, maxMs: 5_000 };

/**
 * A kafkajs consumer group member that Kafka outages do not end. kafkajs is told never to restart
 * a crashed consumer itself (it would retry every 300 ms without a word, or give up for good on
 * errors it deems final); instead every crash that an operator need not fix is reported as a wait
 * for Kafka and followed, in this process, by a new consumer with jittered back-off, until one
 * joins the group again. Offsets are only ever committed by the batch handler, so a new consumer
 * simply continues from the committed offsets.
 */
export class SupervisedConsumer {
  readonly #options: SupervisedConsumerOptions;
  #current: Consumer | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(options: SupervisedConsumerOptions) {
    this.#options = options;
  }

  /** Resolves once a consumer consumes; waits (and reports) meanwhile. Rejects on an operator's failure or abort. */
  start(): Promise<void> {
    this.#starting ??= establishAll([{ dependency: 'kafka', establish: () => this.#startOnce() }], {
      ...this.#options.wait,
      backoff: RESTART_BACKOFF,
    })
      .then(() => resolved(this.#options.wait, 'kafka'))
      .finally(() => {
        this.#starting = undefined;
      });
    return this.#starting;
  }

  /** Stops the current consumer (leaving the group, for at most 10 s). Abort the wait signal first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const consumer = this.#current;
    this.#current = undefined;
    await this.#starting?.catch(() => undefined);
    if (consumer) await settleWithin(consumer.disconnect(), DISCONNECT_MS);
  }

  /**
   * The partition is read again from `offset` (its batches fetched meanwhile turn stale). Nothing
   * happens when no consumer runs, or the partition is no longer this member's: a new consumer
   * starts from the committed offsets anyway.
   */
  seek(topic: string, partition: number, offset: string): void {
    try {
      this.#current?.seek({ topic, partition, offset });
    } catch {
      // not running (any more): see above
    }
  }

  async #startOnce(): Promise<void> {
    const { kafka, kafkaName, config, topics, run, prepare, onJoin } = this.#options;
    await prepare?.();
    if (this.#stopped) return;
    const consumer = kafka.consumer({
      ...config,
      // A missing topic is waited for (prepare); kafkajs would create it with the broker's defaults.
      allowAutoTopicCreation: false,
      retry: { ...CLIENT_RETRY, restartOnFailure: async () => false },
    });
    let crashedWhileStarting: unknown;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (this.#current === consumer) this.#crashed(payload.error);
      else crashedWhileStarting ??= payload.error;
    });
    if (onJoin) consumer.on(consumer.events.GROUP_JOIN, () => onJoin());
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run(run);
    } catch (error) {
      await settleWithin(consumer.disconnect(), DISCONNECT_MS);
      throw kafkaFailure(kafkaName, error, `consumer group ${config.groupId}`);
    }
    // kafkajs reports a failed join through CRASH (having disconnected), not through run().
    if (crashedWhileStarting !== undefined)
      throw kafkaFailure(kafkaName, crashedWhileStarting, `joining consumer group ${config.groupId}`);
    if (this.#stopped) {
      await settleWithin(consumer.disconnect(), DISCONNECT_MS);
      return;
    }
    this.#current = consumer;
  }

  /** kafkajs has already disconnected the crashed consumer: report, then start a new one. */
  #crashed(error: unknown): void {
    this.#current = undefined;
    if (this.#stopped) return;
    const failure = kafkaFailure(
      this.#options.kafkaName,
      error,
      `consumer group ${this.#options.config.groupId}`,
    );
    if (needsOperator(failure)) {
      this.#options.onFatal(failure);
      return;
    }
    waited(this.#options.wait, dependencyOf(failure, 'kafka'), failure, undefined);
    this.start().catch((restartError: unknown) => {
      if (!this.#options.wait.signal.aborted) this.#options.onFatal(restartError);
    });
  }
}

/** Waits for `promise` at most `ms`; its failure is ignored (used for disconnects while stopping). */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
