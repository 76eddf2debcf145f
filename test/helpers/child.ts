// Runs a test's child process to its end, for the tests that put the engine
// under conditions they cannot survive in-process (memory limits, hostile
// threads, long soaks).
import { spawn } from 'node:child_process';

/** How a child ended, with its stdout and stderr together. */
export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Killed (SIGKILL) at the time limit. */
  timedOut: boolean;
}

export function runChild(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<ChildRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, timedOut });
    });
  });
}

/** The payload of the first output line that starts with `tag` and a space, parsed as JSON. */
export function taggedLine(output: string, tag: string): unknown {
  const line = output.split('\n').find((l) => l.startsWith(`${tag} `));
  return line === undefined ? undefined : JSON.parse(line.slice(tag.length + 1));
}

/**
 * A child's side: runs the case that the first argument names, then prints
 * the report as `tag <json>` for taggedLine. An unknown name exits with 2.
 */
export async function runNamedCase(cases: Record<string, () => Promise<void>>, tag: string, report: () => unknown): Promise<void> {
  const name = process.argv[2] ?? '';
  const run = cases[name];
  if (!run) {
    console.error(`unknown case ${name}`);
    process.exit(2);
  }
  await run();
  console.log(`${tag} ${JSON.stringify(report())}`);
}
