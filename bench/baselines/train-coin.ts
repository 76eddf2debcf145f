/**
 * One Advantage Alignment training iteration on the Coin Game in plain
 * TypeScript, for the Coin Game training benchmark's baseline: an MLP policy
 * (one tanh hidden layer) in self-play in both seats, leave-one-out baseline
 * over the whole batch, REINFORCE on the aligned credits, one Adam step.
 *
 * The game follows the engine's `coin` exactly — toroidal grid, red (agent 0)
 * and blue (agent 1), moves up/down/left/right, a pick-up pays the picker
 * `reward` and charges the coin's owner `penalty` when the picker is the
 * other agent, both may pick the same coin, the next coin appears on a free
 * cell with a random colour — and so does the observation: four channels of
 * `cells` floats from the observer's side (own cell, other's cell, coin of
 * own colour, coin of the other's colour). The MLP uses the engine's layout
 * (W stored [in, out], y = x W + b, init uniform in ±1/sqrt(fan-in)).
 *
 * Written the way a TypeScript user would write it: typed arrays allocated
 * once, plain loops, the hidden activations and probabilities of the rollout
 * kept for the backward pass (on-policy, so no second forward pass), and zero
 * inputs of the one-hot observation skipped as the engine's dense layers do.
 */

import { PlainSelfPlayTrainer, type PlainTrainerOptions } from './plain-trainer.js';

export type PlainCoinOptions = PlainTrainerOptions & {
  /** Side of the square grid (the engine's default 3). */
  size?: number;
  hidden?: number;
  reward?: number;
  penalty?: number;
};

export const ACTIONS = 4;

/** Self-play trainer of an MLP policy; `rounds` defaults to the engine's 16. */
export class PlainCoinTrainer extends PlainSelfPlayTrainer {
  readonly size: number;
  readonly cells: number;
  readonly obsDim: number;
  readonly hiddenDim: number;
  readonly reward: number;
  readonly penalty: number;

  /** The parameters are W0 [obsDim, hidden], b0 [hidden], W1 [hidden, 4], b1 [4], concatenated. */
  readonly w0 = 0;
  readonly b0: number;
  readonly w1: number;
  readonly b1: number;

  /** Per row (agent, episode, step): what the agent saw, its hidden layer, its softmax and its move. */
  readonly obs: Float32Array;
  readonly hidden: Float32Array;
  readonly probs: Float32Array;
  readonly actions: Uint8Array;
  /** Coins of one's own colour and of the other's colour picked up in the last rollout, both agents together. */
  ownCoins = 0;
  otherCoins = 0;

  /** One row's hidden layer and logits in the rollout, and their gradients in the backward pass. */
  readonly #y: Float64Array;
  readonly #z = new Float64Array(ACTIONS);
  readonly #dz = new Float64Array(ACTIONS);
  readonly #dh: Float64Array;

  constructor(o: PlainCoinOptions) {
    const size = o.size ?? 3, H = o.hidden ?? 32, O = 4 * size * size;
    super(o, { rounds: 16, gamma: 0.96, beta: 0.3, lr: 0.02 }, (O + 1) * H + (H + 1) * ACTIONS);
    this.size = size;
    this.hiddenDim = H;
    this.reward = o.reward ?? 1;
    this.penalty = o.penalty ?? 2;
    this.cells = size * size;
    this.obsDim = O;
    this.b0 = O * H;
    this.w1 = this.b0 + H;
    this.b1 = this.w1 + H * ACTIONS;
    this.#y = new Float64Array(H);
    this.#dh = new Float64Array(H);
    const rows = this.rows;
    this.obs = new Float32Array(rows * O);
    this.hidden = new Float32Array(rows * H);
    this.probs = new Float32Array(rows * ACTIONS);
    this.actions = new Uint8Array(rows);
    this.#init();
  }

  /** A uniform index in [0, n). */
  #pick(n: number): number {
    const k = Math.floor(this.uniform() * n);
    return k < n ? k : n - 1;
  }

  /** Each layer uniform in ±1/sqrt(fan-in), weights and biases alike. */
  #init(): void {
    const { params, obsDim: O, hiddenDim: H } = this;
    const layer = (from: number, to: number, fanIn: number) => {
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = from; i < to; i++) params[i] = (2 * this.uniform() - 1) * bound;
    };
    layer(this.w0, this.w1, O);
    layer(this.w1, params.length, H);
  }

  /** The k-th cell, k uniform, among those neither agent stands on. */
  #freeCell(a: number, b: number): number {
    const lo = a < b ? a : b, hi = a < b ? b : a;
    const taken = lo === hi ? 1 : 2;
    let k = this.#pick(this.cells - taken);
    if (k >= lo) k++;
    if (taken === 2 && k >= hi) k++;
    return k;
  }

  #move(cell: number, action: number): number {
    const w = this.size;
    let x = cell % w, y = (cell - x) / w;
    if (action === 0) y = (y + w - 1) % w;
    else if (action === 1) y = (y + 1) % w;
    else if (action === 2) x = (x + w - 1) % w;
    else x = (x + 1) % w;
    return y * w + x;
  }

  /**
   * Writes row `row`'s observation (the agent at `own`, the other at `other`,
   * the coin at `coin`, `mine` when it is the agent's colour), runs the MLP
   * on it, keeps its hidden layer and softmax, and samples a move.
   */
  #act(row: number, own: number, other: number, coin: number, mine: boolean): number {
    const { params, obs, hidden, probs, obsDim: O, hiddenDim: H, cells } = this;
    const z = this.#z;
    const x0 = row * O;
    for (let k = 0; k < O; k++) obs[x0 + k] = 0;
    obs[x0 + own] = 1;
    obs[x0 + cells + other] = 1;
    obs[x0 + (mine ? 2 : 3) * cells + coin] = 1;
    const h0 = row * H, b0 = this.b0, w1 = this.w1, b1 = this.b1;
    const y = this.#y;
    for (let j = 0; j < H; j++) y[j] = params[b0 + j];
    for (let k = 0; k < O; k++) {
      const xk = obs[x0 + k];
      if (xk === 0) continue;
      const w = k * H;
      for (let j = 0; j < H; j++) y[j] += xk * params[w + j];
    }
    for (let j = 0; j < H; j++) {
      y[j] = Math.tanh(y[j]);
      hidden[h0 + j] = y[j];
    }
    for (let a = 0; a < ACTIONS; a++) z[a] = params[b1 + a];
    for (let j = 0; j < H; j++) {
      const hj = y[j];
      const w = w1 + j * ACTIONS;
      for (let a = 0; a < ACTIONS; a++) z[a] += hj * params[w + a];
    }
    let top = z[0];
    for (let a = 1; a < ACTIONS; a++) if (z[a] > top) top = z[a];
    let total = 0;
    for (let a = 0; a < ACTIONS; a++) {
      z[a] = Math.exp(z[a] - top);
      total += z[a];
    }
    const p0 = row * ACTIONS;
    for (let a = 0; a < ACTIONS; a++) probs[p0 + a] = z[a] / total;
    const target = this.uniform() * total;
    let acc = 0;
    for (let a = 0; a < ACTIONS - 1; a++) {
      acc += z[a];
      if (target < acc) return a;
    }
    return ACTIONS - 1;
  }

  /** Plays `batch` episodes of self-play with the current parameters. */
  rollout(): void {
    const { batch, rounds: T, cells, actions, rewards, reward, penalty } = this;
    const half = batch * T;
    let own = 0, other = 0;
    for (let b = 0; b < batch; b++) {
      // Three distinct cells: red anywhere, blue among the rest, the coin among the rest of those.
      let p0 = this.#pick(cells);
      let p1 = this.#pick(cells - 1);
      if (p1 >= p0) p1++;
      let coin = this.#freeCell(p0, p1);
      let colour = this.uniform() < 0.5 ? 0 : 1;
      for (let t = 0; t < T; t++) {
        const i = b * T + t, j = half + i;
        const m0 = this.#act(i, p0, p1, coin, colour === 0);
        const m1 = this.#act(j, p1, p0, coin, colour === 1);
        actions[i] = m0;
        actions[j] = m1;
        p0 = this.#move(p0, m0);
        p1 = this.#move(p1, m1);
        // A pick-up pays the picker; one of the other's colour also costs the coin's owner.
        const got0 = p0 === coin, got1 = p1 === coin;
        const took0 = got0 && colour === 1, took1 = got1 && colour === 0;
        own += Number(got0 && !took0) + Number(got1 && !took1);
        other += Number(took0) + Number(took1);
        rewards[i] = (got0 ? reward : 0) - (took1 ? penalty : 0);
        rewards[j] = (got1 ? reward : 0) - (took0 ? penalty : 0);
        if (got0 || got1) {
          coin = this.#freeCell(p0, p1);
          colour = this.uniform() < 0.5 ? 0 : 1;
        }
      }
    }
    this.ownCoins = own;
    this.otherCoins = other;
  }

  /**
   * L = −Σ A* · log π(a | s) / N over all rows at parameters `p`, the credits
   * held constant (on-policy: the importance ratio is 1). A full forward pass
   * in double, for checking `gradient` against finite differences.
   */
  loss(p: ArrayLike<number>): number {
    const { obs, actions, credits, obsDim: O, hiddenDim: H, b0, w1, b1 } = this;
    const n = this.rows;
    const h = new Float64Array(H);
    const z = new Float64Array(ACTIONS);
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < H; j++) {
        let y = p[b0 + j];
        for (let k = 0; k < O; k++) y += obs[i * O + k] * p[k * H + j];
        h[j] = Math.tanh(y);
      }
      for (let a = 0; a < ACTIONS; a++) {
        let y = p[b1 + a];
        for (let j = 0; j < H; j++) y += h[j] * p[w1 + j * ACTIONS + a];
        z[a] = y;
      }
      const m = Math.max(z[0], z[1], z[2], z[3]);
      let sum = 0;
      for (let a = 0; a < ACTIONS; a++) sum += Math.exp(z[a] - m);
      total -= credits[i] * (z[actions[i]] - m - Math.log(sum));
    }
    return total / n;
  }

  /**
   * dL/dparams into `out` at the parameters of the last rollout, from its
   * kept hidden layers and probabilities: each row's logits gradient is
   * −(A* / N)(onehot(a) − softmax(z)), then back through W1, tanh and W0.
   */
  gradient(out: Float64Array): Float64Array {
    const { params, obs, hidden, probs, actions, credits, obsDim: O, hiddenDim: H, b0, w1, b1 } = this;
    const dz = this.#dz, dh = this.#dh;
    const n = this.rows;
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const g = -credits[i] / n;
      if (g === 0) continue;
      const p0 = i * ACTIONS, h0 = i * H, x0 = i * O, act = actions[i];
      for (let a = 0; a < ACTIONS; a++) {
        dz[a] = g * ((a === act ? 1 : 0) - probs[p0 + a]);
        out[b1 + a] += dz[a];
      }
      for (let j = 0; j < H; j++) {
        const hj = hidden[h0 + j];
        const w = w1 + j * ACTIONS;
        let back = 0;
        for (let a = 0; a < ACTIONS; a++) {
          out[w + a] += hj * dz[a];
          back += params[w + a] * dz[a];
        }
        dh[j] = back * (1 - hj * hj);
        out[b0 + j] += dh[j];
      }
      for (let k = 0; k < O; k++) {
        const xk = obs[x0 + k];
        if (xk === 0) continue;
        const w = k * H;
        for (let j = 0; j < H; j++) out[w + j] += xk * dh[j];
      }
    }
    return out;
  }

  protected backward(): void {
    this.gradient(this.grad);
  }
}
