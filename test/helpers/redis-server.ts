/**
 * A private redis-server for a test: on 127.0.0.1, a free port, its own
 * folder, no snapshots (append-only file on request, so that a restart keeps
 * the queue). `redisServerPath()` is undefined when Debian's redis-server is
 * not installed; tests then skip and say so.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The redis-server executable, or undefined when there is none. */
export function redisServerPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running test Redis. */
export class TestRedis {
  readonly port: number;
  readonly dir: string;
  readonly persistent: boolean;
  #child: ChildProcess | undefined;
  log = '';

  private constructor(port: number, dir: string, persistent: boolean) {
    this.port = port;
    this.dir = dir;
    this.persistent = persistent;
  }

  /** Starts one; `persistent` keeps an append-only file (fsync on every write) so that a restart loses nothing. */
  static async start(options: { persistent?: boolean } = {}): Promise<TestRedis> {
    const r = new TestRedis(await freePort(), mkdtempSync(join(tmpdir(), 'dilemma-redis-')), options.persistent === true);
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server (again, on the same port and folder). */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
    args.push(...(this.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    const child = spawn(redisServerPath() ?? 'redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in 10 s:\n${this.log}`)), 10_000);
      const onData = (d: Buffer) => {
        this.log += d;
        if (/Ready to accept connections/.test(this.log.slice(-4000))) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (d: Buffer) => (this.log += d));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}:\n${this.log}`));
      });
    });
  }

  /** Stops the server (SIGTERM: it flushes its append-only file) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
