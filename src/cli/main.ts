#!/usr/bin/env node
/**
 * The `dilemma` command.
 */
import { Command, InvalidArgumentError } from 'commander';
import { engineInfo } from '../info.js';
import { isDilemmaError } from '../errors.js';
import { runDemo } from './demo.js';
import { runTrainDemo } from './train-demo.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const program = new Command();
program.name('dilemma').description('Multi-agent social dilemmas on a native engine');

program
  .command('info')
  .description('versions, backends, threads, and why a backend is unavailable')
  .option('--json', 'print JSON')
  .action((opts: { json?: boolean }) => {
    const info = engineInfo();
    if (opts.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`@dilemma/engine ${info.version} on Node ${info.node}`);
    console.log(`threads: ${info.threads} (hardware ${info.hardwareThreads})`);
    console.log(`backends: ${info.backends.join(', ')}`);
    console.log(`cuda: ${info.cuda.available ? `available (${String(info.cuda.device ?? '')})` : `unavailable: ${info.cuda.reason}`}`);
    console.log(`onnx: ${info.onnx.available ? 'available' : `unavailable: ${info.onnx.reason}`}`);
    console.log(`games: ${info.games.join(', ')}`);
    console.log(`strategies: ${info.strategies.join(', ')}`);
  });

program
  .command('demo')
  .description('train naive and Advantage Alignment agents on the iterated prisoner\'s dilemma and compare them')
  .option('--seeds <n>', 'seeds per algorithm', integer, 3)
  .option('--iterations <n>', 'training iterations per run', integer, 300)
  .action(async (opts: { seeds: number; iterations: number }) => {
    console.log(await runTrainDemo({ ...opts, onProgress: (line) => console.error(line) }));
  });

program
  .command('ipd-tournament')
  .description('round-robin tournament of every scripted strategy on the iterated prisoner\'s dilemma')
  .option('--rounds <n>', 'rounds per match', integer, 10)
  .option('--repetitions <n>', 'matches per ordered pair', integer, 1000)
  .option('--seed <n>', 'seed', integer, 1)
  .action(async (opts: { rounds: number; repetitions: number; seed: number }) => {
    console.log(await runDemo(opts));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(isDilemmaError(e) ? `error [${e.code}]: ${e.message}` : e);
  process.exitCode = 1;
});
