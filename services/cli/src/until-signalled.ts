/**
 * Waits for a running service to end, stopping it gracefully on the first SIGTERM or SIGINT and
 * exiting 1 at once on a second one (an operator who presses Ctrl-C twice means it).
 */
export async function untilSignalled(
  handle: { stop(): Promise<void>; readonly done: Promise<void> },
  stopping: string,
): Promise<void> {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      console.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    console.log(`${signal}: ${stopping}`);
    void handle.stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await handle.done;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
