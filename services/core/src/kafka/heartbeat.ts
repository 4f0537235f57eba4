/** How often a batch in hand heartbeats: well within the shortest session timeout we use (10 s). */
const HEARTBEAT_MS = 3000;

/**
 * Runs one batch's work while heartbeating every 3 s. kafkajs heartbeats only between batches or
 * when asked, so a batch that waits (a target away, a slow registry) would otherwise lose its
 * partitions when the session times out, and be processed again elsewhere. A failed heartbeat (a
 * rebalance is under way) is left to the consumer, which sees it again after the batch.
 */
export async function withHeartbeats<T>(heartbeat: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
