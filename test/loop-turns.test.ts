/**
 * A loop over calls that settle without turning the event loop (small
 * training iterations run inline) still lets timers run: LoopTurns turns the
 * loop when it has not turned for its interval, and only then.
 */
import test from 'ava';
import { LoopTurns } from '../src/loop-turns.js';
import { Trainer } from '../src/index.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test.serial('a loop of inline work turns the event loop about once per interval', async (t) => {
  const turns = new LoopTurns(2);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 1);
  const start = performance.now();
  let iterations = 0;
  while (performance.now() - start < 60) {
    busy(0.05);
    await turns.turn();
    iterations++;
  }
  clearInterval(timer);
  // Without the turns the interval never runs; with them at least once per
  // 2 ms of busy work (and a loaded machine only runs it less often).
  t.true(ticks >= 5, `${ticks} timer ticks in 60 ms of inline work`);
  t.true(iterations > ticks, `${iterations} iterations, ${ticks} ticks: not a turn per iteration`);
});

/** Whether awaiting turn() let the event loop turn: an immediate set just before it ran. */
async function turned(turns: LoopTurns): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await turns.turn();
  return ran;
}

test.serial('turn() turns the loop only when it has not turned for the interval', async (t) => {
  // An interval far above what the calls between turns take, even on a loaded machine.
  const turns = new LoopTurns(100);
  t.false(await turned(turns), 'the first call only sets the watcher');
  busy(1);
  t.false(await turned(turns), 'inline work shorter than the interval');
  busy(120);
  t.true(await turned(turns), 'inline work past the interval');
  t.false(await turned(turns), 'the turn just taken counts');
  // A loop that waits on a timer each iteration turns anyway: the watcher
  // sees those turns, so (but for the first) none is added.
  let extra = 0;
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 1));
    busy(120);
    if (await turned(turns)) extra++;
  }
  t.true(extra <= 1, `${extra} extra turns in 10 iterations that each waited on a timer`);
});

test.serial('Trainer.step over inline iterations lets a timer run while it trains', async (t) => {
  const trainer = Trainer.create({ game: { id: 'ipd' }, policy: { kind: 'tabular' }, batch: 64, seed: 1, iterations: 1e6 });
  let fired = -1;
  let steps = 0;
  setTimeout(() => (fired = steps), 0);
  const start = performance.now();
  while (performance.now() - start < 100) {
    await trainer.step();
    steps++;
  }
  trainer.dispose();
  t.true(fired >= 0, 'the timer ran before the loop ended');
  t.true(fired < steps, `the timer ran after ${fired} of ${steps} steps`);
});
