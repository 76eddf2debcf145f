/**
 * The trainer: the papers' IPD result on the demo recipe, determinism across
 * threads and across a checkpoint/resume, checkpoint integrity, errors.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coinRecipe, ipdRecipe, trustAndSplitRecipe } from '../src/cli/recipes.js';
import {
  evaluate,
  loadPolicy,
  meanReturns,
  splittingMetrics,
  onnx,
  rollout,
  scripted,
  Trainer,
  train,
  tournament,
  type Policy,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dilemma-train-'));

test('IPD: naive self-play defects; Advantage Alignment cooperates, reciprocates with tit-for-tat and retaliates', async (t) => {
  const results: Record<string, Awaited<ReturnType<typeof evaluate>>> = {};
  for (const algorithm of ['naive', 'advantage-alignment'] as const) {
    const { trainer } = await train(ipdRecipe(algorithm, 1, 300));
    const policy = trainer.policy();
    results[algorithm] = await evaluate({ game: 'ipd', policy, opponents: ['tit-for-tat', 'always-defect'], batch: 4096, seed: 3 });
    policy.dispose();
    trainer.dispose();
  }
  const naive = results.naive, aa = results['advantage-alignment'];
  t.true(naive.selfPlay.cooperation < 0.2, `naive self-play cooperation ${naive.selfPlay.cooperation}`);
  t.true(aa.selfPlay.cooperation >= 0.85, `AA self-play cooperation ${aa.selfPlay.cooperation}`);
  t.true(aa.matches[0].cooperation >= 0.8, `AA cooperation with tit-for-tat ${aa.matches[0].cooperation}`);
  // One sucker round against always-defect costs 1 (S = 0 instead of P = 1); sampling adds a little.
  t.true(aa.exploitability <= 1.05, `AA loss against always-defect ${aa.exploitability}`);
  t.true(aa.selfPlay.payoff > 2.5 * naive.selfPlay.payoff);
});

test('the same seed trains the same parameters on 1 and 2 threads', async (t) => {
  const run = async (threads: number) => {
    const { trainer } = await train({ iterations: 8, batch: 256, seed: 4, threads, policy: { kind: 'mlp', hidden: [8] } });
    const p = trainer.params();
    trainer.dispose();
    return p;
  };
  t.deepEqual(await run(1), await run(2));
});

test('a run resumed from a checkpoint ends exactly where the uninterrupted run ends', async (t) => {
  const config = { ...ipdRecipe('advantage-alignment', 7, 24), bufferSize: 5 };
  const whole = await train(config);
  const full = whole.trainer.state();
  whole.trainer.dispose();

  const path = join(dir, 'resume.ckpt');
  const first = await train({ ...config }, { checkpointFile: path, onIteration: (m) => m.iteration + 1 < 11 });
  t.true(first.stopped);
  first.trainer.dispose();
  const second = await train({}, { resume: path });
  t.is(second.history[0].iteration, 11);
  const resumed = second.trainer.state();
  second.trainer.dispose();
  t.is(resumed.iteration, 24);
  t.deepEqual(resumed.params, full.params);
  t.deepEqual(resumed.adamM, full.adamM);
  t.deepEqual(resumed.buffer, full.buffer);
});

test('a warm start begins from given parameters with a fresh optimizer, deterministically; bad ones are refused', async (t) => {
  const config = { iterations: 6, batch: 64, seed: 4, policy: { kind: 'mlp' as const, hidden: [8] } };
  const source = await train(config);
  const start = source.trainer.params();
  const sourcePolicy = source.trainer.policy();

  const warm = Trainer.create({ ...config, seed: 9 });
  t.notDeepEqual(warm.params(), start);
  warm.warmStart(start);
  const s = warm.state();
  t.deepEqual(s.params, start);
  t.is(s.iteration, 0);
  t.is(s.adamT, 0);
  t.true(s.adamM.every((x) => x === 0) && s.adamV.every((x) => x === 0));
  // The warm-started policy plays exactly as the one it came from.
  const warmPolicy = warm.policy();
  const a = await rollout({ game: 'ipd', policies: [sourcePolicy, sourcePolicy], batch: 128, seed: 5 });
  const b = await rollout({ game: 'ipd', policies: [warmPolicy, warmPolicy], batch: 128, seed: 5 });
  t.deepEqual(b.actions, a.actions);
  warmPolicy.dispose();
  sourcePolicy.dispose();
  source.trainer.dispose();

  await warm.step();
  t.throws(() => warm.warmStart(start), { code: 'ERR_INVALID_ARGUMENT', message: /initParams: a warm start must come before the first step/ });
  warm.dispose();

  const again = async (initParams?: Float32Array) => {
    const r = await train({ ...config, seed: 9 }, { initParams });
    const p = r.trainer.params();
    r.trainer.dispose();
    return p;
  };
  const first = await again(start);
  t.deepEqual(await again(start), first);
  t.notDeepEqual(await again(), first);

  const fresh = Trainer.create(config);
  t.throws(() => fresh.warmStart(start.subarray(1)), { code: 'ERR_INVALID_ARGUMENT', message: /initParams has \d+ values but the mlp policy of 'ipd' has \d+/ });
  const bad = Float32Array.from(start);
  bad[3] = Number.NaN;
  t.throws(() => fresh.warmStart(bad), { code: 'ERR_INVALID_ARGUMENT', message: /initParams\[3\] is NaN/ });
  t.throws(() => fresh.warmStart([...start] as never), { code: 'ERR_INVALID_ARGUMENT', message: /initParams must be a Float32Array/ });
  t.deepEqual(fresh.state().adamT, 0);
  fresh.dispose();
  await t.throwsAsync(train(config, { resume: join(dir, 'none.ckpt'), initParams: start }), { code: 'ERR_INVALID_ARGUMENT', message: /initParams/ });
});

test('truncated, tampered or missing checkpoints are refused with a code', async (t) => {
  const path = join(dir, 'good.ckpt');
  const trainer = Trainer.create({ iterations: 2, batch: 16 });
  await trainer.step();
  trainer.checkpoint(path);
  trainer.dispose();
  const text = readFileSync(path, 'utf8');
  writeFileSync(join(dir, 'truncated.ckpt'), text.slice(0, text.length >> 1));
  writeFileSync(join(dir, 'tampered.ckpt'), text.replace('"iteration\\":1', '"iteration\\":5'));
  t.throws(() => Trainer.resume(join(dir, 'truncated.ckpt')), { code: 'ERR_INVALID_CHECKPOINT', message: /truncated/ });
  t.throws(() => Trainer.resume(join(dir, 'tampered.ckpt')), { code: 'ERR_INVALID_CHECKPOINT', message: /integrity/ });
  t.throws(() => Trainer.resume(join(dir, 'missing.ckpt')), { code: 'ERR_INVALID_CHECKPOINT' });
  const ok = Trainer.resume(path);
  t.is(ok.iteration, 1);
  ok.dispose();
});

test('bad configs name the option; one iteration at a time', async (t) => {
  t.throws(() => Trainer.create({ lr: -1 }), { code: 'ERR_INVALID_PARAM', message: /config\.lr/ });
  t.throws(() => Trainer.create({ algorithm: 'lola' as never }), { code: 'ERR_INVALID_PARAM', message: /config\.algorithm/ });
  t.throws(() => Trainer.create({ aaPast: 'returns' as never }), { code: 'ERR_INVALID_PARAM', message: /config\.aaPast/ });
  t.throws(() => Trainer.create({ speed: 1 } as never), { code: 'ERR_INVALID_PARAM', message: /config\.speed/ });
  t.throws(() => Trainer.create({ batch: 8, groupSize: 9 }), { code: 'ERR_INVALID_PARAM', message: /groupSize/ });
  t.throws(() => Trainer.create({ policy: { kind: 'mlp', hidden: [0] } }), { code: 'ERR_INVALID_PARAM' });
  const trainer = Trainer.create({ batch: 64 });
  const first = trainer.step();
  await t.throwsAsync(trainer.step(), { code: 'ERR_BUSY' });
  await first;
  trainer.dispose();
  t.throws(() => trainer.policy(), { code: 'ERR_DISPOSED' });
});

test('MLP and GRU policies, the critic baseline, PPO and sum-of-rewards all train on the IPD and public goods', async (t) => {
  const configs = [
    { policy: { kind: 'mlp' as const, hidden: [16] }, algorithm: 'sum-of-rewards' as const },
    { policy: { kind: 'gru' as const, hidden: 8 }, baseline: 'critic' as const, critic: { kind: 'mlp' as const, hidden: [8] } },
    { policy: { kind: 'tabular' as const }, objective: 'ppo' as const, epochs: 3 },
    { game: { id: 'public-goods' as const }, policy: { kind: 'mlp' as const, hidden: [8] } },
  ];
  for (const c of configs) {
    const { trainer, history } = await train({ iterations: 3, batch: 64, seed: 2, ...c });
    t.is(history.length, 3);
    for (const m of history) {
      t.true(Number.isFinite(m.policyLoss) && Number.isFinite(m.gradNorm));
      t.is(m.meanReturn.length, trainer.game.info.agents);
    }
    trainer.dispose();
  }
});

test('a trained policy plays in tournaments beside scripted strategies', async (t) => {
  const { trainer } = await train({ ...ipdRecipe('advantage-alignment', 2, 60) });
  const policy = trainer.policy('aa');
  const result = await tournament({ game: 'ipd', players: [policy, 'tit-for-tat', 'always-defect'], repetitions: 64 });
  t.deepEqual(result.players, ['aa', 'tit-for-tat', 'always-defect']);
  t.true(result.payoff[0][1] > 20);
  policy.dispose();
  trainer.dispose();
});

test('trained MLP, GRU and tabular policies export to ONNX and load back from checkpoints with the same play', async (t) => {
  for (const policySpec of [{ kind: 'tabular' as const }, { kind: 'mlp' as const, hidden: [8, 4] }, { kind: 'gru' as const, hidden: 6 }]) {
    const path = join(dir, `export-${policySpec.kind}.ckpt`);
    const { trainer } = await train({ iterations: 4, batch: 64, seed: 9, policy: policySpec, lr: 0.1 }, { checkpointFile: path });
    const native = trainer.policy('native');
    const viaOnnx = onnx(trainer.exportOnnx());
    const loaded = loadPolicy(path, 'loaded');
    const play = (p: typeof native) => rollout({ game: 'ipd', policies: [p, 'tit-for-tat'], batch: 32, seed: 5 });
    const [a, b, c] = [await play(native), await play(viaOnnx), await play(loaded)];
    t.deepEqual(b.actions, a.actions, `${policySpec.kind}: ONNX export plays the same actions`);
    t.deepEqual(c.actions, a.actions, `${policySpec.kind}: the checkpoint plays the same actions`);
    for (let i = 0; i < a.logProbs.length; i++) t.true(Math.abs(a.logProbs[i] - b.logProbs[i]) < 1e-5);
    for (const p of [native, viaOnnx, loaded]) p.dispose();
    trainer.dispose();
  }
});

test('Coin Game: Advantage Alignment agents pick up their own coins far more often than naive agents', async (t) => {
  const rate = async (algorithm: 'naive' | 'advantage-alignment') => {
    const { trainer, history } = await train(coinRecipe(algorithm, 1, 200));
    const names = trainer.statNames;
    const last = history.slice(-10);
    const mean = (name: string) => last.reduce((s, m) => s + m.gameStats[names.indexOf(name)], 0) / last.length;
    const own = mean('own_coins_0') + mean('own_coins_1');
    const other = mean('other_coins_0') + mean('other_coins_1');
    trainer.dispose();
    return own / (own + other);
  };
  const naive = await rate('naive');
  const aa = await rate('advantage-alignment');
  t.true(naive < 0.6, `naive own-coin rate ${naive}`);
  t.true(aa > 0.8, `AA own-coin rate ${aa}`);
});

test('Trust-and-Split from a cooperative start: naive learning turns greedy; Advantage Alignment keeps the efficient split', async (t) => {
  // The README's study, seed 1 of its warm protocol: 400 sum-of-rewards iterations, then 300 of each algorithm.
  const warm = await train(trustAndSplitRecipe('sum-of-rewards', 1001, 400));
  const start = warm.trainer.params();
  warm.trainer.dispose();
  const greedy = scripted('greedy-splitter');
  const game = 'trust-and-split';
  const vsGreedy = async (policy: Policy) => {
    const a = await rollout({ game, policies: [policy, greedy], batch: 1024, seed: 77 });
    const b = await rollout({ game, policies: [greedy, policy], batch: 1024, seed: 77 });
    return (meanReturns(a)[0] + meanReturns(b)[1]) / 2;
  };
  const result = async (algorithm: 'naive' | 'advantage-alignment' | 'sum-of-rewards') => {
    const { trainer } = await train(trustAndSplitRecipe(algorithm, 1, 300), { initParams: start });
    const policy = trainer.policy();
    const self = splittingMetrics(await rollout({ game, policies: [policy, policy], batch: 1024, seed: 77 }));
    const payoff = await vsGreedy(policy);
    policy.dispose();
    trainer.dispose();
    return { efficiency: self.splitEfficiency, payoff };
  };
  const naive = await result('naive');
  const aa = await result('advantage-alignment');
  // The control: the prosocial objective the start was trained with, for as many more iterations.
  const prosocial = await result('sum-of-rewards');
  greedy.dispose();
  t.true(naive.efficiency < 0.6, `naive efficiency ${naive.efficiency}`);
  t.true(aa.efficiency > 0.9, `AA efficiency ${aa.efficiency}`);
  t.true(prosocial.efficiency > 0.9, `sum-of-rewards efficiency ${prosocial.efficiency}`);
  // What the greedy splitter can take differs by seed (the study's starts range from 8 to 223
  // against it). Advantage Alignment keeps more than sum-of-rewards on average and on most seeds
  // (13 of 15 over the study's records), not on every one, so one seed cannot check it: the
  // study script does (README, Trust-and-Split).
  t.log(`vs greedy splitter: AA ${aa.payoff.toFixed(1)}, sum-of-rewards ${prosocial.payoff.toFixed(1)}`);
});
