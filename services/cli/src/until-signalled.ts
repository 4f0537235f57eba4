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
    // A stop that fails ends `done` with its error, which the caller reports.
    handle.stop().catch(() => undefined);
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

/**
 * Starts a service whose start may last (waiting for its topics, its target, Kafka): a SIGTERM or
 * SIGINT meanwhile aborts `signal`, which stops it gracefully; once started, untilSignalled takes
 * over. A second signal while starting kills the process (the default action, these handlers
 * being once-only).
 */
export async function startStoppable<T>(start: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const starting = new AbortController();
  const stopWhileStarting = (signal: NodeJS.Signals) => {
    console.log(`${signal}: stopping before the first batch ...`);
    starting.abort();
  };
  process.once('SIGTERM', stopWhileStarting);
  process.once('SIGINT', stopWhileStarting);
  try {
    return await start(starting.signal);
  } finally {
    process.off('SIGTERM', stopWhileStarting);
    process.off('SIGINT', stopWhileStarting);
  }
}
