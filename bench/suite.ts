/**
 * A benchmark suite: one piece of work done by the engine, by a plain
 * TypeScript implementation and by a reference loop, measured in the same
 * run. The runner interleaves the cases (several rounds of every case in
 * turn) and reports ratios against the suite's baseline case, and against
 * its limit case where it has one, computed round by round.
 */

/** What one call processes, so the report can print the time per unit. */
export interface BenchUnits {
  /** Units per call, e.g. batch × rounds × agents agent-steps. */
  count: number;
  /** Singular name, e.g. 'agent-step' or 'element'. */
  name: string;
}

export interface BenchCase {
  name: string;
  /** The case the others are compared against (one per suite). */
  baseline?: boolean;
  /**
   * The reference loop that stands for the limit (at most one per suite):
   * every case's time is also reported as a multiple of this one's.
   */
  limit?: boolean;
  /** Units per call of this case; overrides the suite's. */
  units?: BenchUnits;
  /** One operation; a returned promise is awaited inside the timing. */
  fn: () => unknown | Promise<unknown>;
}

export interface BenchSuite {
  name: string;
  /** What one call does, for the report. */
  description: string;
  cases: BenchCase[];
  /** Units per call of every case that names none. */
  units?: BenchUnits;
  /**
   * Overrides of the runner's timing for slow cases (tinybench options),
   * over the whole run: the runner spreads `time` and `iterations` across
   * its rounds, and a case runs until both are reached in each round.
   */
  timing?: { time?: number; iterations?: number; warmupTime?: number; warmupIterations?: number };
  /** Runs once before timing, e.g. to check that the cases agree; throw to fail the suite. */
  check?: () => void | Promise<void>;
}
