import cliProgress from 'cli-progress';

/** How a long search through topics shows its progress. */
export interface ScanProgress {
  /** A bar for one topic; call the function returned with the offsets read so far. */
  track(topic: string, total: number): (read: number) => void;
  stop(): void;
}

/** Fewer offsets than this are read too fast for a bar to help. */
const WORTH_A_BAR = 5_000;

/**
 * Bars on stderr, one per topic being read, only on a terminal: stdout stays the report (and
 * the JSON of --json), and a log or a pipe gets no control characters.
 */
export function scanProgress(stream: NodeJS.WriteStream = process.stderr): ScanProgress {
  if (!stream.isTTY) return { track: () => () => undefined, stop: () => undefined };
  let bars: cliProgress.MultiBar | undefined;
  return {
    track: (topic, total) => {
      if (total < WORTH_A_BAR) return () => undefined;
      bars ??= new cliProgress.MultiBar(
        {
          stream,
          format: '  {bar} {value}/{total} offsets  {topic}',
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const bar = bars.create(total, 0, { topic });
      return (read) => bar.update(Math.min(read, total));
    },
    stop: () => {
      bars?.stop();
      bars = undefined;
    },
  };
}
