/**
 * kafkajs 2.2.4 schedules its request-queue check with a negative delay when it is not throttled
 * (RequestQueue.scheduleCheckPendingRequests); Node 24 warns about it on every client although
 * the timer behaves as intended (it fires after 1 ms). Every other warning is still printed.
 */
export function silenceKnownKafkajsWarnings(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (warning.name === 'TimeoutNegativeWarning') return;
    if (listeners.length === 0) console.error(warning);
    for (const listener of listeners) listener(warning);
  });
}
