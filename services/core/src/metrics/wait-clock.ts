/** Where something that holds work back reports it: `begin` as a wait starts, the returned function as it ends. */
export interface WaitRecorder {
  begin(): () => void;
}

/**
 * The wall time during which at least one caller waited, reported in pieces to `onWaited` (in
 * seconds): at the end of each wait, and on `flush` (before a scrape, so that a long Retry-After
 * pause shows while it lasts). Waits that overlap count once: eight requests held back together
 * for a second are one second of being rate limited, so the counter's rate stays between 0 and 1.
 */
export class WaitClock implements WaitRecorder {
  readonly #onWaited: (seconds: number) => void;
  readonly #now: () => number;
  #waiting = 0;
  #since = 0;

  constructor(onWaited: (seconds: number) => void, now: () => number = () => performance.now()) {
    this.#onWaited = onWaited;
    this.#now = now;
  }

  /** A wait starts; call the result when it ends (again is harmless). */
  begin(): () => void {
    if (this.#waiting === 0) this.#since = this.#now();
    this.#waiting += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.flush();
      this.#waiting -= 1;
    };
  }

  /** Reports the time waited since the last report, if anyone is waiting. */
  flush(): void {
    if (this.#waiting === 0) return;
    const now = this.#now();
    const ms = now - this.#since;
    this.#since = now;
    if (ms > 0) this.#onWaited(ms / 1000);
  }
}
