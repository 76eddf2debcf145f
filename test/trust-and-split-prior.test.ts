import test from 'ava';
import {
  behaviourClone,
  Game,
  meanReturns,
  modelLayout,
  modelPolicy,
  splittingMetrics,
  rollout,
  scripted,
  train,
  TRUST_AND_SPLIT_STRATEGIES,
  type Algorithm,
  type Policy,
} from '../src/index.js';
import { trustAndSplitRecipe } from '../src/cli/recipes.js';

// A reduced generic-prior run of scripts/trust-and-split-study.ts (protocol
// "prior", one seed): the recipe's policy cloned from the four scripted agents
// in equal shares, then naive and Advantage Alignment from it at the same
// budget, entropy 0 (bench/results/trust-and-split-prior.txt has the full run).
const GAME = 'trust-and-split' as const;
const EVAL = { batch: 512, seed: 77 };
const ITERATIONS = 200;

async function against(policy: Policy, opponent: Policy): Promise<number> {
  const a = await rollout({ game: GAME, policies: [policy, opponent], ...EVAL });
  const b = await rollout({ game: GAME, policies: [opponent, policy], ...EVAL });
  return (meanReturns(a)[0] + meanReturns(b)[1]) / 2;
}

/** Always saying "none" and proposing 5 of 10 coins: biases of 30 on those actions and on waiting (default vocabulary, "none" last of 9 tokens). */
function alwaysHalf(): Policy {
  const game = new Game(GAME);
  const { obsDim, actions } = game.info;
  game.dispose();
  const layout = modelLayout('mlp', { obsDim, actions, hidden: [] });
  const params = new Float32Array(layout.numParams);
  const b0 = layout.tensors.find((t) => t.name === 'b0')!.offset;
  for (const a of [8, 9 + 5, actions - 1]) params[b0 + a] = 30;
  return modelPolicy({ kind: 'mlp', hidden: [] }, { obsDim, actions }, params, 'always-half');
}

test('from a prior cloned from the scripted mixture, AA splits efficiently and is not exploited while naive grabs', async (t) => {
  const seed = 1;
  const { params: prior } = await behaviourClone({
    config: trustAndSplitRecipe('naive', 2000 + seed, 0),
    mixture: TRUST_AND_SPLIT_STRATEGIES.map((policy) => ({ policy, weight: 1 })),
    steps: 150,
    episodes: 128,
  });
  const greedy = scripted('greedy-splitter'), liar = scripted('liar'), half = alwaysHalf();
  try {
    const refGreedy = await against(half, greedy), refLiar = await against(half, liar);
    // Both always propose 10: 5 against 10 gets 10·5/15 coins a round, at value 10 half the time and 1 otherwise.
    t.true(Math.abs(refGreedy - 183.33) < 0.1 && Math.abs(refLiar - 183.33) < 0.1, `${refGreedy}, ${refLiar}`);
    const result: Record<string, { efficiency: number; vsGreedy: number; vsLiar: number }> = {};
    for (const algorithm of ['naive', 'advantage-alignment'] as Algorithm[]) {
      const { trainer } = await train({ ...trustAndSplitRecipe(algorithm, seed, ITERATIONS), entropyCoef: 0 }, { initParams: prior });
      const policy = trainer.policy();
      try {
        const self = splittingMetrics(await rollout({ game: GAME, policies: [policy, policy], ...EVAL }));
        result[algorithm] = { efficiency: self.splitEfficiency, vsGreedy: await against(policy, greedy), vsLiar: await against(policy, liar) };
      } finally {
        policy.dispose();
        trainer.dispose();
      }
    }
    const naive = result.naive, aa = result['advantage-alignment'];
    t.log(JSON.stringify(result));
    t.true(naive.efficiency <= 0.6, `naive efficiency ${naive.efficiency}`);
    t.true(aa.efficiency >= 0.7 && aa.efficiency >= naive.efficiency + 0.15, `AA efficiency ${aa.efficiency}`);
    t.true(aa.vsGreedy >= refGreedy, `AA vs greedy ${aa.vsGreedy} < ${refGreedy}`);
    t.true(aa.vsLiar >= refLiar, `AA vs liar ${aa.vsLiar} < ${refLiar}`);
  } finally {
    greedy.dispose();
    liar.dispose();
    half.dispose();
  }
});
