/** The examples run as a user would run them (against the built package). */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

for (const [file, args, expect] of [
  ['custom-payoff.ts', [], /tit-for-tat/],
  ['onnx-rollout.ts', [join(mkdtempSync(join(tmpdir(), 'ex-')), 'model.onnx')], /env steps\/s|unavailable/],
  ['external-trainer.ts', [mkdtempSync(join(tmpdir(), 'ex-'))], /grad_logits|wrote/],
  ['text-match.ts', [], /OPENAI_BASE_URL|transcript/],
] as const) {
  test(`examples/${file} runs`, (t) => {
    const extra = file === 'onnx-rollout.ts' ? [] : args;
    const env = { ...process.env };
    delete env.OPENAI_BASE_URL;
    delete env.OPENAI_MODEL;
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'examples', file), ...extra], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    t.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
    t.regex(r.stdout, expect);
  });
}
