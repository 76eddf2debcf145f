/**
 * Keeps a loop over calls that settle without turning the event loop (small
 * native iterations run before their call returns) from holding it: `turn()`
 * lets the loop run its timers, I/O and signal handlers when it has not
 * turned for `everyMs` (counted from the first call after its last turn). A watcher set on the loop notes the turns that happen
 * anyway (an awaited worker, a timer), so such loops are not made to turn
 * again.
 */
export class LoopTurns {
  #last = 0;
  #watching = false;

  constructor(readonly everyMs: number) {}

  async turn(): Promise<void> {
    if (!this.#watching) {
      // The watcher ran: the loop turned since the last call (or this is the first).
      this.#last = performance.now();
      this.#watch();
      return;
    }
    if (performance.now() - this.#last < this.everyMs) return;
    // The watcher, set earlier, runs first and notes this turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  #watch(): void {
    this.#watching = true;
    setImmediate(() => {
      this.#watching = false;
    });
  }
}
