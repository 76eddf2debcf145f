/**
 * Central differences of a loss, entry by entry: the independent check that
 * the benchmark baselines' hand-written gradients are right.
 */
export function centralDifferences(loss: (p: Float64Array) => number, params: ArrayLike<number>, h = 1e-5): Float64Array {
  const p = Float64Array.from(params);
  const numeric = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const p0 = p[i];
    p[i] = p0 + h;
    const up = loss(p);
    p[i] = p0 - h;
    const down = loss(p);
    p[i] = p0;
    numeric[i] = (up - down) / (2 * h);
  }
  return numeric;
}
