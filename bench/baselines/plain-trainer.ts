/**
 * What the plain TypeScript training baselines share: the trajectory rows of
 * self-play in both seats, the credits, the generator and the Adam step. Each
 * game's trainer adds its rollout, loss and gradient over `params`.
 */
import { selfPlayCredits } from './credits.js';
import { xorshift32 } from './xorshift.js';

/**
 * The batch and the seed; `rounds` (steps per episode), `gamma`, `beta` and
 * `lr` default per game, Adam's `beta1`, `beta2` and `eps` to 0.9, 0.999 and 1e-8.
 */
export type PlainTrainerOptions = { batch: number; seed: number } & Partial<
  Record<'rounds' | 'gamma' | 'beta' | 'lr' | 'beta1' | 'beta2' | 'eps', number>
>;

/** The defaults that differ between the games. */
export interface PlainTrainerDefaults {
  rounds: number;
  gamma: number;
  beta: number;
  lr: number;
}

/**
 * Trajectory arrays are agent-major, [agent][episode][step], so each agent's
 * returns and credits are contiguous rows of `rounds`.
 */
export abstract class PlainSelfPlayTrainer {
  readonly batch: number;
  readonly rounds: number;
  readonly gamma: number;
  readonly beta: number;
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** The trained parameters. */
  readonly params: Float32Array;
  /** Gradient of the loss w.r.t. the parameters, in double: the finite-difference check compares it directly. */
  readonly grad: Float64Array;
  readonly rewards: Float32Array;
  /** Discounted returns, then leave-one-out advantages, then the aligned credits A*. */
  readonly returns: Float32Array;
  readonly advantages: Float32Array;
  readonly credits: Float32Array;

  readonly #m: Float64Array;
  readonly #v: Float64Array;
  #t = 0;
  /** Sum over episodes of G at each step, double so that taking one episode out again is exact enough. */
  readonly #columnSums: Float64Array;
  /** A uniform number in [0, 1). */
  protected readonly uniform: () => number;

  constructor(o: PlainTrainerOptions, defaults: PlainTrainerDefaults, paramCount: number) {
    this.batch = o.batch;
    this.rounds = o.rounds ?? defaults.rounds;
    this.gamma = o.gamma ?? defaults.gamma;
    this.beta = o.beta ?? defaults.beta;
    this.lr = o.lr ?? defaults.lr;
    this.beta1 = o.beta1 ?? 0.9;
    this.beta2 = o.beta2 ?? 0.999;
    this.eps = o.eps ?? 1e-8;
    this.params = new Float32Array(paramCount);
    this.grad = new Float64Array(paramCount);
    this.#m = new Float64Array(paramCount);
    this.#v = new Float64Array(paramCount);
    const rows = this.rows;
    this.rewards = new Float32Array(rows);
    this.returns = new Float32Array(rows);
    this.advantages = new Float32Array(rows);
    this.credits = new Float32Array(rows);
    this.#columnSums = new Float64Array(this.rounds);
    // Mixing the seed with an odd constant keeps small seeds apart.
    this.uniform = xorshift32(Math.imul(o.seed ^ 0x5bd1e995, 0x9e3779b1));
  }

  /** Rows of the loss: both seats of every episode and step. */
  get rows(): number {
    return 2 * this.batch * this.rounds;
  }

  /** Plays `batch` episodes of self-play with the current parameters. */
  abstract rollout(): void;

  /** Writes dL/dparams at the last rollout into `grad`. */
  protected abstract backward(): void;

  /** Returns, leave-one-out advantages and Advantage Alignment credits of the last rollout. */
  computeCredits(): void {
    const { batch, rounds, gamma, beta, rewards, returns, advantages, credits } = this;
    selfPlayCredits({ batch, rounds, gamma, beta, rewards, returns, advantages, credits, columnSums: this.#columnSums });
  }

  /** One bias-corrected Adam step on the parameters from `grad`. */
  adamStep(): void {
    const { params, grad, lr, beta1, beta2, eps } = this;
    const m = this.#m, v = this.#v;
    const t = ++this.#t;
    const c1 = 1 - beta1 ** t, c2 = 1 - beta2 ** t;
    for (let i = 0; i < params.length; i++) {
      const g = grad[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
    }
  }

  /** One training iteration: rollout, credits, backward, update. */
  step(): void {
    this.rollout();
    this.computeCredits();
    this.backward();
    this.adamStep();
  }
}
