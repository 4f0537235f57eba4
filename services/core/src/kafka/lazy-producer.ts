import type { Kafka, Producer, ProducerConfig } from 'kafkajs';
import { CLIENT_RETRY } from './client.ts';
import { settleWithin } from './supervised-consumer.ts';

const DISCONNECT_MS = 10_000;

/**
 * A producer connected on first use and replaced after a failure: a kafkajs producer whose send
 * failed while the broker went away may hold sequence numbers (idempotence) or a transaction
 * state that the broker no longer agrees with, and a new one starts clean.
 */
export class LazyProducer {
  readonly #kafka: Kafka;
  readonly #config: ProducerConfig;
  #producer: Promise<Producer> | undefined;

  constructor(kafka: Kafka, config: ProducerConfig) {
    this.#kafka = kafka;
    this.#config = { retry: CLIENT_RETRY, ...config };
  }

  /** The connected producer, connecting a new one if there is none. */
  get(): Promise<Producer> {
    if (!this.#producer) {
      const producer = this.#kafka.producer(this.#config);
      const connected = producer.connect().then(() => producer);
      connected.catch(() => {
        if (this.#producer === connected) this.#producer = undefined;
        void settleWithin(producer.disconnect(), DISCONNECT_MS);
      });
      this.#producer = connected;
    }
    return this.#producer;
  }

  /** Drops the current producer (the next `get` makes a new one) and disconnects it, for at most 10 s. */
  async discard(): Promise<void> {
    const current = this.#producer;
    this.#producer = undefined;
    if (!current) return;
    await settleWithin(
      current.then((producer) => producer.disconnect()),
      DISCONNECT_MS,
    );
  }
}
