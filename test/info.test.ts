import test from 'ava';
import { engineInfo, setThreads, GAME_IDS, STRATEGIES } from '../src/index.js';

test('engineInfo reports version, threads, games, strategies and backend status with reasons', (t) => {
  const info = engineInfo();
  t.regex(info.version, /^\d+\.\d+\.\d+/);
  t.true(info.threads >= 1);
  t.true(info.backends.includes('cpu'));
  t.deepEqual([...info.games].sort(), [...GAME_IDS].sort());
  t.deepEqual(info.strategies, [...STRATEGIES]);
  for (const backend of [info.onnx, info.cuda]) {
    t.is(typeof backend.available, 'boolean');
    if (!backend.available) t.true(typeof backend.reason === 'string' && backend.reason.length > 0);
  }
  t.is(info.backends.includes('cuda'), info.cuda.available);
});

test('setThreads changes the default and 0 restores it', (t) => {
  const hw = engineInfo().hardwareThreads;
  t.is(setThreads(1), 1);
  t.is(engineInfo().threads, 1);
  t.is(setThreads(0), hw);
});
