/**
 * `dilemma export`: a checkpoint's policy to ONNX, and trajectories to JSON
 * lines (one episode per line) for other tools.
 */
import { AtomicFile, writeAtomic } from '../fs-safe.js';
import { rollout } from '../rollout.js';
import { Trainer } from '../train.js';
import { parsePlayer } from './players.js';

export function exportOnnxCommand(checkpoint: string, out: string): void {
  const trainer = Trainer.resume(checkpoint, 'checkpoint');
  try {
    const bytes = trainer.exportOnnx();
    writeAtomic(out, bytes, 'out');
    console.log(`${out}: ${trainer.config.policy.kind} policy, ${trainer.numParams} parameters, ${bytes.length} bytes`);
  } finally {
    trainer.dispose();
  }
}

export interface TrajectoryExportOptions {
  game: string;
  params?: Record<string, unknown>;
  players: string[];
  batch: number;
  seed: number;
  out: string;
  observations: boolean;
}

/** Each line: { episode, group, length, returns, steps: [{ t, actions, rewards, logProbs, observations? }] }. */
export async function exportTrajectoriesCommand(o: TrajectoryExportOptions): Promise<void> {
  const players = o.players.map(parsePlayer);
  try {
    const t = await rollout({ game: { id: o.game as never, params: o.params ?? {} }, policies: players, batch: o.batch, seed: o.seed });
    // Written under a temporary name and renamed at the end: a failure leaves no partial file.
    const out = AtomicFile.open(o.out, 'out');
    try {
      const A = t.agents, O = t.obsDim;
      for (let b = 0; b < t.batch; b++) {
        const steps = [];
        const returns = new Array<number>(A).fill(0);
        for (let s = 0; s < t.steps; s++) {
          const row = b * t.steps + s;
          if (!t.mask[row]) break;
          const slice = <T extends ArrayLike<number>>(a: T) => Array.from({ length: A }, (_, k) => a[row * A + k]);
          const rewards = slice(t.rewards);
          rewards.forEach((r, k) => (returns[k] += r));
          steps.push({
            t: s,
            actions: slice(t.actions),
            rewards,
            logProbs: slice(t.logProbs),
            ...(o.observations ? { observations: Array.from({ length: A }, (_, k) => Array.from(t.observations.subarray((row * A + k) * O, (row * A + k + 1) * O))) } : {}),
          });
        }
        out.write(`${JSON.stringify({ episode: b, group: t.groups[b], length: steps.length, returns, steps })}\n`);
      }
      out.commit();
    } finally {
      out.abort();
    }
    console.log(`${o.out}: ${t.batch} episodes of ${o.game}`);
  } finally {
    for (const p of players) p.dispose();
  }
}
