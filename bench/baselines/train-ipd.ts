/**
 * One Advantage Alignment training iteration on the iterated prisoner's
 * dilemma in plain TypeScript, for the training benchmark's baseline:
 * memory-1 tabular softmax policy in self-play, leave-one-out baseline over
 * the whole batch, REINFORCE on the aligned credits, one Adam step. The same
 * recipe as the engine's `Trainer` with a tabular policy, written the way a
 * TypeScript user would write it: typed arrays allocated once, plain loops.
 */
import { PAYOFF } from './ipd.js';
import { PlainSelfPlayTrainer, type PlainTrainerOptions } from './plain-trainer.js';

/** Observation states: 0 before the first round, then 1 + 2 · own move + other's move. */
export const STATES = 5;
export const ACTIONS = 2;

export type { PlainTrainerOptions };

/** Self-play trainer over a 5 × 2 table of logits (row-major, the engine's tabular layout). */
export class PlainIpdTrainer extends PlainSelfPlayTrainer {
  /** Per row (agent, episode, round): the agent's observed state and its move. */
  readonly states: Uint8Array;
  readonly actions: Uint8Array;

  /** Per state, π(action 0), refreshed from the table before sampling and before the gradient. */
  readonly #p0 = new Float64Array(STATES);
  constructor(o: PlainTrainerOptions) {
    super(o, { rounds: 10, gamma: 0.9, beta: 0.5, lr: 0.05 }, STATES * ACTIONS);
    this.states = new Uint8Array(this.rows);
    this.actions = new Uint8Array(this.rows);
  }

  /** The logits, [state][action]. */
  get table(): Float32Array {
    return this.params;
  }

  #refreshPolicy(table: ArrayLike<number>): void {
    for (let s = 0; s < STATES; s++) this.#p0[s] = 1 / (1 + Math.exp(table[s * 2 + 1] - table[s * 2]));
  }

  /** Plays `batch` episodes of self-play with the current table. */
  rollout(): void {
    const { batch, rounds, states, actions, rewards } = this;
    const p0 = this.#p0;
    const half = batch * rounds;
    this.#refreshPolicy(this.table);
    for (let b = 0; b < batch; b++) {
      let s0 = 0, s1 = 0;
      for (let t = 0; t < rounds; t++) {
        const i = b * rounds + t, j = half + i;
        const m0 = this.uniform() < p0[s0] ? 0 : 1;
        const m1 = this.uniform() < p0[s1] ? 0 : 1;
        const joint = 2 * m0 + m1;
        states[i] = s0;
        states[j] = s1;
        actions[i] = m0;
        actions[j] = m1;
        rewards[i] = PAYOFF[2 * joint];
        rewards[j] = PAYOFF[2 * joint + 1];
        s0 = 1 + 2 * m0 + m1;
        s1 = 1 + 2 * m1 + m0;
      }
    }
  }

  /**
   * L = −Σ A* · log π(a | s) / N over all rows, the credits held constant
   * (on-policy: the importance ratio is 1). Double precision, for checking
   * `gradient` against finite differences.
   */
  loss(table: ArrayLike<number>): number {
    const { states, actions, credits } = this;
    const n = this.rows;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = states[i] * 2;
      const z0 = table[s], z1 = table[s + 1];
      const m = Math.max(z0, z1);
      const logSum = m + Math.log(Math.exp(z0 - m) + Math.exp(z1 - m));
      total -= credits[i] * ((actions[i] === 0 ? z0 : z1) - logSum);
    }
    return total / n;
  }

  /** dL/dtable into `out`: each row adds −(A* / N)(onehot(a) − softmax(z)) to its state's row. */
  gradient(table: ArrayLike<number>, out: Float64Array): Float64Array {
    const { states, actions, credits } = this;
    const p0 = this.#p0;
    const n = this.rows;
    this.#refreshPolicy(table);
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const s = states[i];
      const g = -credits[i] / n;
      const q = p0[s];
      const k = s * 2;
      out[k] += g * ((actions[i] === 0 ? 1 : 0) - q);
      out[k + 1] += g * ((actions[i] === 1 ? 1 : 0) - (1 - q));
    }
    return out;
  }

  protected backward(): void {
    this.gradient(this.table, this.grad);
  }

  /** Share of action 0 over both seats in the last rollout. */
  cooperation(): number {
    let c = 0;
    for (let i = 0; i < this.actions.length; i++) if (this.actions[i] === 0) c++;
    return c / this.actions.length;
  }
}

/** Self-play cooperation of a table: the share of action 0 in `batch` freshly sampled episodes. */
export function selfPlayCooperation(table: ArrayLike<number>, batch: number, seed: number): number {
  const probe = new PlainIpdTrainer({ batch, seed });
  probe.table.set(table);
  probe.rollout();
  return probe.cooperation();
}
