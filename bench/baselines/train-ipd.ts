/**
 * One Advantage Alignment training iteration on the iterated prisoner's
 * dilemma in plain TypeScript, for the training benchmark's baseline:
 * memory-1 tabular softmax policy in self-play, leave-one-out baseline over
 * the whole batch, REINFORCE on the aligned credits, one Adam step. The same
 * recipe as the engine's `Trainer` with a tabular policy, written the way a
 * TypeScript user would write it: typed arrays allocated once, plain loops.
 */
import { PAYOFF } from './ipd.js';
import { selfPlayCredits } from './credits.js';

/** Observation states: 0 before the first round, then 1 + 2 · own move + other's move. */
export const STATES = 5;
export const ACTIONS = 2;

export interface PlainTrainerOptions {
  batch: number;
  seed: number;
  rounds?: number;
  gamma?: number;
  beta?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/**
 * Self-play trainer over a 5 × 2 table of logits (row-major, the engine's
 * tabular layout). Trajectory arrays are agent-major, [agent][episode][round],
 * so each agent's returns and credits are contiguous rows of `rounds`.
 */
export class PlainIpdTrainer {
  readonly table = new Float32Array(STATES * ACTIONS);
  readonly batch: number;
  readonly rounds: number;
  readonly gamma: number;
  readonly beta: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  /** Per row (agent, episode, round): the agent's observed state and its move. */
  readonly states: Uint8Array;
  readonly actions: Uint8Array;
  readonly rewards: Float32Array;
  /** Discounted returns, then leave-one-out advantages, then the aligned credits A*. */
  readonly returns: Float32Array;
  readonly advantages: Float32Array;
  readonly credits: Float32Array;
  /** Gradient of the loss w.r.t. the table, in double: the finite-difference check compares it directly. */
  readonly grad = new Float64Array(STATES * ACTIONS);

  readonly #m = new Float64Array(STATES * ACTIONS);
  readonly #v = new Float64Array(STATES * ACTIONS);
  #t = 0;
  /** Per state, π(action 0), refreshed from the table before sampling and before the gradient. */
  readonly #p0 = new Float64Array(STATES);
  /** Sum over episodes of G at each round, double so that taking one episode out again is exact enough. */
  readonly #columnSums: Float64Array;
  /**
   * Marsaglia's xorshift32 (shifts 13, 17, 5): period 2^32 − 1, a few
   * integer operations per draw. Not the engine's counter-based generator,
   * so the two sample different games; they are compared on what they learn,
   * not draw by draw.
   */
  #rng: number;

  constructor(o: PlainTrainerOptions) {
    this.batch = o.batch;
    this.rounds = o.rounds ?? 10;
    this.gamma = o.gamma ?? 0.9;
    this.beta = o.beta ?? 0.5;
    this.lr = o.lr ?? 0.05;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    const rows = 2 * this.batch * this.rounds;
    this.states = new Uint8Array(rows);
    this.actions = new Uint8Array(rows);
    this.rewards = new Float32Array(rows);
    this.returns = new Float32Array(rows);
    this.advantages = new Float32Array(rows);
    this.credits = new Float32Array(rows);
    this.#columnSums = new Float64Array(this.rounds);
    // xorshift has one fixed point, 0; mixing the seed with an odd constant keeps small seeds apart.
    this.#rng = (Math.imul(o.seed ^ 0x5bd1e995, 0x9e3779b1) | 1) >>> 0;
  }

  /** Rows of the loss: both seats of every episode and round. */
  get rows(): number {
    return 2 * this.batch * this.rounds;
  }

  #uniform(): number {
    let s = this.#rng;
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#rng = s >>> 0;
    return this.#rng / 4294967296;
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
        const m0 = this.#uniform() < p0[s0] ? 0 : 1;
        const m1 = this.#uniform() < p0[s1] ? 0 : 1;
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

  /** Returns, leave-one-out advantages and Advantage Alignment credits of the last rollout. */
  computeCredits(): void {
    const { batch, rounds, gamma, beta, rewards, returns, advantages, credits } = this;
    selfPlayCredits({ batch, rounds, gamma, beta, rewards, returns, advantages, credits, columnSums: this.#columnSums });
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

  /** One bias-corrected Adam step on the table from `grad`. */
  adamStep(): void {
    const { table, grad, lr, beta1, beta2, eps } = this;
    const m = this.#m, v = this.#v;
    const t = ++this.#t;
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    for (let i = 0; i < table.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      table[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }

  /** One training iteration: rollout, credits, backward, update. */
  step(): void {
    this.rollout();
    this.computeCredits();
    this.gradient(this.table, this.grad);
    this.adamStep();
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
