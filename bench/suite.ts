/**
 * A benchmark suite: one piece of work done by the engine and by a plain
 * TypeScript implementation, measured in the same run. Speed-ups are
 * reported against the suite's baseline case.
 */
export interface BenchCase {
  name: string;
  /** The case the others are compared against (one per suite). */
  baseline?: boolean;
  /** One operation; a returned promise is awaited inside the timing. */
  fn: () => unknown | Promise<unknown>;
}

export interface BenchSuite {
  name: string;
  /** What one call does, for the report. */
  description: string;
  cases: BenchCase[];
  /**
   * Overrides of the runner's timing for slow cases (tinybench options): a
   * case runs until both `time` ms and `iterations` samples are reached.
   */
  timing?: { time?: number; iterations?: number; warmupTime?: number; warmupIterations?: number };
  /** Runs once before timing, e.g. to check that the cases agree; throw to fail the suite. */
  check?: () => void | Promise<void>;
}
