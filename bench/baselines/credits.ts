/**
 * The credit stage of the plain TypeScript training baselines: two agents'
 * rewards laid out [agent][batch][T] (row-major), their discounted returns,
 * leave-one-out advantages over the whole batch and discounted Advantage
 * Alignment credits, written into the given arrays of the same layout.
 */
export interface SelfPlayCredits {
  batch: number;
  rounds: number;
  gamma: number;
  beta: number;
  rewards: Float32Array | Float64Array;
  returns: Float32Array | Float64Array;
  advantages: Float32Array | Float64Array;
  credits: Float32Array | Float64Array;
  /** Scratch of `rounds` entries. */
  columnSums: Float64Array;
}

export function selfPlayCredits(c: SelfPlayCredits): void {
  const { batch, rounds: T, gamma, beta, rewards, returns, advantages, credits, columnSums: sums } = c;
  const half = batch * T;
  for (let a = 0; a < 2; a++) {
    const base = a * half;
    sums.fill(0);
    for (let b = 0; b < batch; b++) {
      const row = base + b * T;
      let g = 0;
      for (let t = T - 1; t >= 0; t--) {
        g = rewards[row + t] + gamma * g;
        returns[row + t] = g;
        sums[t] += returns[row + t];
      }
    }
    // A batch of one has no other episode to compare with: its advantage is its return.
    const others = batch > 1 ? batch - 1 : 0;
    for (let b = 0; b < batch; b++) {
      const row = base + b * T;
      for (let t = 0; t < T; t++) {
        const g = returns[row + t];
        advantages[row + t] = others ? g - (sums[t] - g) / others : g;
      }
    }
  }
  for (let a = 0; a < 2; a++) {
    const own = a * half, other = (1 - a) * half;
    for (let b = 0; b < batch; b++) {
      const o1 = own + b * T, o2 = other + b * T;
      // S_t = Σ_{k<t} γ^{t−k} A¹_k carried forward, never through γ^{−t}.
      let s = 0;
      for (let t = 0; t < T; t++) {
        const a1 = advantages[o1 + t];
        credits[o1 + t] = a1 + beta * gamma * s * advantages[o2 + t];
        s = gamma * (s + a1);
      }
    }
  }
}
