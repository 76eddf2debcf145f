/**
 * The chat client and the match runner against hostile endpoints: local
 * servers on 127.0.0.1 (ephemeral ports) that redirect elsewhere, echo the
 * key, send endless or compressed-bomb bodies, malformed completions and
 * absurd retry-after headers, and policies that ignore the abort signal.
 */
import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { constants, createBrotliCompress, gzipSync } from 'node:zlib';
import { ChatClient, LlmErrorCode, playTextMatch, redact, type ChatMessage, type TextPolicy } from '../src/text/index.js';

interface Hostile {
  origin: string;
  baseURL: string;
  port: number;
  requests: { url: string; headers: IncomingMessage['headers']; body: string }[];
  /** Body bytes the server managed to hand to the socket, per response. */
  written: number[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse, h: Hostile) => void;

async function hostile(handler: Handler): Promise<Hostile> {
  const h: Hostile = { origin: '', baseURL: '', port: 0, requests: [], written: [], close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      h.requests.push({ url: req.url ?? '', headers: req.headers, body });
      handler(req, body, res, h);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  h.port = (server.address() as AddressInfo).port;
  h.origin = `http://127.0.0.1:${h.port}`;
  h.baseURL = `${h.origin}/v1`;
  h.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return h;
}

function completion(content: string, usage?: unknown) {
  return JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], ...(usage ? { usage } : {}) });
}

const json = (res: ServerResponse, body: string, status = 200, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
};

/** Writes `total` bytes of `chunk` repeats, honouring backpressure; records what got written. */
function stream(res: ServerResponse, h: Hostile, chunk: Buffer, total: number, status = 200, headers: Record<string, string> = {}) {
  const slot = h.written.push(0) - 1;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  let sent = 0;
  let closed = false;
  res.on('close', () => (closed = true));
  const pump = () => {
    while (!closed && sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      h.written[slot] = sent;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', pump);
    }
    if (!closed) res.end();
  };
  pump();
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'rules' },
  { role: 'user', content: 'hello' },
];

const MiB = 1 << 20;

// ---- redirects ----

test('a redirect to another origin is refused: the foreign server receives nothing', async (t) => {
  const foreign = await hostile((_req, _body, res) => json(res, completion('foreign reply')));
  t.teardown(() => foreign.close());
  for (const status of [301, 302, 303, 307, 308]) {
    const home = await hostile((_req, _body, res) => {
      res.writeHead(status, { location: `${foreign.baseURL}/chat/completions` });
      res.end();
    });
    t.teardown(() => home.close());
    const client = new ChatClient({ baseURL: home.baseURL, model: 'm', apiKey: 'sk-redirect-secret', headers: { 'api-key': 'azure-style-secret' } });
    const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Redirect });
    t.regex(e!.message, /another origin/);
    t.is(home.requests.length, 1, `HTTP ${status}: one request, no retry`);
  }
  t.is(foreign.requests.length, 0);
});

test('a redirect within the origin is followed with the same POST; loops are bounded', async (t) => {
  const home = await hostile((req, body, res) => {
    if (req.url === '/v1/chat/completions') {
      res.writeHead(308, { location: '/v2/chat/completions' });
      res.end();
    } else if (req.url === '/v2/chat/completions') json(res, completion(`moved: ${JSON.parse(body).model}`));
    else {
      res.writeHead(307, { location: req.url ?? '/' });
      res.end();
    }
  });
  t.teardown(() => home.close());
  const client = new ChatClient({ baseURL: home.baseURL, model: 'm', apiKey: 'sk-same-origin-key' });
  t.is((await client.complete(messages)).text, 'moved: m');
  t.deepEqual(home.requests.map((r) => r.url), ['/v1/chat/completions', '/v2/chat/completions']);
  t.is(home.requests[1].headers.authorization, 'Bearer sk-same-origin-key');
  const loop = new ChatClient({ baseURL: `${home.origin}/loop/v1`, model: 'm' });
  await t.throwsAsync(loop.complete(messages), { code: LlmErrorCode.Redirect, message: /redirect/ });
  t.true(home.requests.length <= 2 + 6);
});

// ---- secrets ----

const KEY = 'sk-live-4f9c2a7e0b1d8f3a6c5e';
const PASSWORD = 'pa55-w0rd-in-the-url';
const HEADER_KEY = 'azure-key-77aa1190ffee';

function assertClean(t: { false(v: boolean, m?: string): void }, what: string, text: string) {
  // Prefixes too: a message that quotes a cut-off piece of a body must not hold part of a secret.
  for (const s of [KEY, PASSWORD, HEADER_KEY, encodeURIComponent(PASSWORD), Buffer.from(`user:${PASSWORD}`).toString('base64')].flatMap((x) => [x, x.slice(0, 10)])) {
    t.false(text.includes(s), `${what} contains a secret: ${text.slice(0, 300)}`);
  }
}

function errorTexts(e: unknown): string[] {
  const out: string[] = [inspect(e, { depth: Infinity, showHidden: true }), JSON.stringify(e), String(e)];
  for (let c: unknown = e, i = 0; c instanceof Error && i < 8; c = c.cause, i++) out.push(c.message, String(c.stack));
  return out;
}

test('the key never shows: echoing endpoint, credentialed base URL, every error and transcript', async (t) => {
  const echo = await hostile((req, body, res, h) => {
    const everything = JSON.stringify({ url: req.url, headers: req.headers, body });
    const auth = String(req.headers.authorization ?? '').replace(/^\S+ /, '');
    const n = h.requests.length;
    if (n % 4 === 1) json(res, JSON.stringify({ error: `bad key ${everything}` }), 401);
    else if (n % 4 === 2) json(res, completion(`you sent ${everything}`));
    else if (n % 4 === 3) json(res, `${auth} is not json ${everything}`);
    else json(res, `${auth}`, 502);
  });
  t.teardown(() => echo.close());
  const credURL = `http://user:${encodeURIComponent(PASSWORD)}@127.0.0.1:${echo.port}/v1`;
  const clients = [
    new ChatClient({ baseURL: echo.baseURL, model: 'm', apiKey: KEY, headers: { 'api-key': HEADER_KEY }, retries: 0 }),
    new ChatClient({ baseURL: credURL, model: 'm', retries: 0 }),
  ];
  for (const client of clients) {
    assertClean(t, 'endpoint', client.endpoint);
    assertClean(t, 'inspect(client)', inspect(client, { depth: Infinity, showHidden: true }));
    assertClean(t, 'JSON(client)', JSON.stringify(client));
    assertClean(t, 'keys', Object.getOwnPropertyNames(client).map((k) => String((client as unknown as Record<string, unknown>)[k])).join(' '));
    echo.requests.length = 0;
    for (let i = 0; i < 4; i++) {
      try {
        const c = await client.complete(messages);
        assertClean(t, 'completion', JSON.stringify(c));
        t.regex(c.text, /\[redacted\]/);
      } catch (e) {
        for (const s of errorTexts(e)) assertClean(t, 'error', s);
      }
    }
    // The server did get the credentials: they were sent, only never shown.
    const auth = echo.requests.map((r) => String(r.headers.authorization ?? '') + String(r.headers['api-key'] ?? '')).join(' ');
    t.true(auth.includes(KEY) || auth.includes(Buffer.from(`user:${PASSWORD}`).toString('base64')));
  }
  // A credentialed URL to a closed port: the network error must not quote the URL.
  const closed = await hostile(() => {});
  await closed.close();
  const unreachable = new ChatClient({ baseURL: `http://user:${PASSWORD}@127.0.0.1:${closed.port}/v1`, model: 'm', retries: 0 });
  const ne = await t.throwsAsync(unreachable.complete(messages), { code: LlmErrorCode.Network });
  for (const s of errorTexts(ne)) assertClean(t, 'network error', s);
  // Options in the wrong place or of the wrong type are refused without quoting them.
  for (const o of [{ headers: `Bearer ${KEY}` }, { apiKey: [KEY] }, { headers: { 'api-key': [HEADER_KEY] } }]) {
    const oe = t.throws(() => new ChatClient({ baseURL: echo.baseURL, model: 'm', ...(o as object) }), { code: 'ERR_INVALID_ARGUMENT' });
    for (const s of errorTexts(oe)) assertClean(t, 'option error', s);
  }
  // A bad base URL holding the key is quoted only redacted.
  const bad = t.throws(() => new ChatClient({ baseURL: `ftp://user:${PASSWORD}@host/v1`, model: 'm' }), { code: LlmErrorCode.Config });
  for (const s of errorTexts(bad)) assertClean(t, 'config error', s);
  // The match transcript: the agent's error and reply fields are redacted.
  echo.requests.length = 0;
  const records: string[] = [];
  const result = await playTextMatch({
    agents: [clients[0].policy(), clients[1].policy()],
    rounds: 2,
    onAgentError: 'malformed',
    onRecord: (r) => records.push(JSON.stringify(r)),
  });
  assertClean(t, 'transcript', JSON.stringify(result.transcript));
  for (const r of records) assertClean(t, 'record', r);
  t.true(result.transcript.some((r) => r.error !== undefined));
});

test('redact strips URL credentials and bearer tokens from any text', (t) => {
  t.is(redact('GET https://alice:hunter2-secret@example.test/v1 failed'), 'GET https://[redacted]@example.test/v1 failed');
  t.is(redact('authorization: Bearer abc.def-ghi'), 'authorization: Bearer [redacted]');
  t.is(redact('{"Authorization":"Basic dXNlcjpwYXNz","api-key":"k1"}'), '{"Authorization":"Basic [redacted]","api-key":"[redacted]"}');
  t.is(redact('sent Bearer eyJhbGciOi.x'), 'sent Bearer [redacted]');
  t.is(redact('nothing to hide: Basic strategy, a bearer of news'), 'nothing to hide: Basic strategy, a bearer of news');
  // Linear time on long hostile text (a quadratic scan would take minutes here).
  const t0 = performance.now();
  redact('a.'.repeat(2_000_000) + 'a://' + 'b:'.repeat(1_000_000) + ' Bearer'.repeat(200_000));
  t.true(performance.now() - t0 < 2000);
});

// ---- body size ----

test.serial('an endless body is cut at maxResponseBytes with ERR_LLM_TOO_LARGE', async (t) => {
  const h = await hostile((_req, _body, res, hh) => stream(res, hh, Buffer.alloc(64 * 1024, 0x20), 256 * MiB));
  t.teardown(() => h.close());
  const client = new ChatClient({ baseURL: h.baseURL, model: 'm', maxResponseBytes: MiB, retries: 0 });
  const t0 = performance.now();
  const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.TooLarge });
  t.regex(e!.message, /1048576/);
  t.true(performance.now() - t0 < 5000);
  await new Promise((r) => setTimeout(r, 50));
  t.log(`the server wrote ${h.written[0]} of ${256 * MiB} bytes`);
  t.true(h.written[0] < 32 * MiB, `the server wrote ${h.written[0]} bytes`);
});

test.serial('an error body is read only as far as its snippet, also when retried', async (t) => {
  const h = await hostile((_req, _body, res, hh) => stream(res, hh, Buffer.alloc(64 * 1024, 0x78), 256 * MiB, 500));
  t.teardown(() => h.close());
  const client = new ChatClient({ baseURL: h.baseURL, model: 'm', retries: 1, backoff: { initialMs: 1 } });
  const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Http });
  t.like(e as object, { status: 500, attempts: 2 });
  t.true(e!.message.length < 1000);
  await new Promise((r) => setTimeout(r, 50));
  t.is(h.written.length, 2);
  t.log(`the server wrote ${h.written.join(' and ')} of ${256 * MiB} bytes`);
  for (const w of h.written) t.true(w < 32 * MiB, `the server wrote ${w} bytes`);
});

/** Peak RSS growth while `p` runs, sampled every 5 ms. */
async function peakGrowth<T>(p: () => Promise<T>): Promise<{ growth: number; result: PromiseSettledResult<T> }> {
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const [result] = await Promise.allSettled([p()]);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { growth: peak - base, result };
}

/** 256 MiB of spaces, compressed: gzip as concatenated members, brotli as one stream fed 1 MiB at a time. */
async function bomb(encoding: 'gzip' | 'br'): Promise<Buffer> {
  const block = Buffer.alloc(MiB, 0x20);
  if (encoding === 'gzip') {
    const one = gzipSync(block, { level: 9 });
    return Buffer.concat(Array.from({ length: 256 }, () => one));
  }
  const z = createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
  const out: Buffer[] = [];
  z.on('data', (c: Buffer) => out.push(c));
  const done = new Promise((r) => z.on('end', r));
  for (let i = 0; i < 256; i++) if (!z.write(block)) await new Promise((r) => z.once('drain', r));
  z.end();
  await done;
  return Buffer.concat(out);
}

for (const [name, encoding] of [
  ['gzip', 'gzip'],
  ['brotli', 'br'],
] as const) {
  test.serial(`a ${name} bomb fails fast with bounded memory (the limit counts decompressed bytes)`, async (t) => {
    const compressed = await bomb(encoding);
    t.true(compressed.length < 4 * MiB, `${compressed.length} compressed bytes`);
    const h = await hostile((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(compressed);
    });
    t.teardown(() => h.close());
    const client = new ChatClient({ baseURL: h.baseURL, model: 'm', retries: 0 });
    const t0 = performance.now();
    const { growth, result } = await peakGrowth(() => client.complete(messages));
    t.is(result.status, 'rejected');
    t.is((result as PromiseRejectedResult).reason?.code, LlmErrorCode.TooLarge);
    t.true(performance.now() - t0 < 5000);
    t.log(`${compressed.length} bytes on the wire; peak RSS growth ${(growth / MiB).toFixed(1)} MiB`);
    t.true(growth < 160 * MiB, `RSS grew ${(growth / MiB).toFixed(0)} MiB`);
  });
}

// ---- malformed completions ----

test('completions and usage are validated: malformed ones are ERR_LLM_RESPONSE and count nothing', async (t) => {
  const bodies = [
    '{"choices":[{}]}',
    '{"choices":[null]}',
    '{"choices":{"0":{"message":{"content":"x"}}}}',
    JSON.stringify({ choices: [{ message: { content: 5 } }] }),
    JSON.stringify({ choices: [{ message: { content: 'x' }, finish_reason: 7 }] }),
    completion('x', { prompt_tokens: 3, completion_tokens: 1e300 }),
    completion('x', { prompt_tokens: -1, completion_tokens: 2 }),
    completion('x', { prompt_tokens: 3, completion_tokens: 2.5 }),
    completion('x', { prompt_tokens: 3, completion_tokens: '2' }),
    completion('x', { prompt_tokens: 3, completion_tokens: 2 ** 40 }),
    completion('x', 'lots'),
    '[]',
    'null',
  ];
  const h = await hostile((_req, _body, res, hh) => {
    const n = hh.requests.length - 1;
    json(res, n < bodies.length ? bodies[n] : completion('fine', { prompt_tokens: 4, completion_tokens: 2 }));
  });
  t.teardown(() => h.close());
  const client = new ChatClient({ baseURL: h.baseURL, model: 'm', retries: 0 });
  for (const b of bodies) await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Response }, b);
  const ok = await client.complete(messages);
  t.deepEqual(ok.usage, { promptTokens: 4, completionTokens: 2 });
  t.like(client.usage, { calls: 1, failures: bodies.length, promptTokens: 4, completionTokens: 2 });
});

// ---- retry-after ----

test('retry-after: negative or malformed values fall back to the backoff, huge ones are capped', async (t) => {
  const headers: Record<string, string>[] = [
    { 'retry-after': '-5' },
    { 'retry-after-ms': '-100' },
    { 'retry-after': '-1.5' },
    { 'retry-after': '99999999999999999999999' },
    { 'retry-after-ms': '1e400' },
    { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' },
  ];
  const h = await hostile((_req, _body, res, hh) => {
    const n = hh.requests.length - 1;
    if (n < headers.length) json(res, '{"error":"slow down"}', 429, headers[n]);
    else json(res, completion('done'));
  });
  t.teardown(() => h.close());
  const seen: { delayMs: number; retryAfter: boolean }[] = [];
  const client = new ChatClient({
    baseURL: h.baseURL,
    model: 'm',
    retries: 10,
    seed: 1,
    maxRetryAfterMs: 30,
    backoff: { initialMs: 20, factor: 1, maxMs: 20 },
    onRetry: (i) => seen.push({ delayMs: i.delayMs, retryAfter: i.retryAfter }),
  });
  t.is((await client.complete(messages)).text, 'done');
  t.is(seen.length, headers.length);
  // The negative ones: no retry-after, a backoff delay in [10, 20].
  for (const s of seen.slice(0, 3)) {
    t.false(s.retryAfter);
    t.true(s.delayMs >= 10 && s.delayMs <= 20, String(s.delayMs));
  }
  // The malformed one falls back to the backoff too; the huge ones wait the cap.
  t.deepEqual(seen.slice(3).map((s) => s.retryAfter), [true, false, true]);
  t.is(seen[3].delayMs, 30);
  t.is(seen[5].delayMs, 30);
});

// ---- abort ----

test('abort settles the match even when a policy ignores the signal', async (t) => {
  const deaf: TextPolicy = () => new Promise(() => {});
  const ac = new AbortController();
  const match = playTextMatch({ agents: [deaf, deaf], rounds: 3, signal: ac.signal });
  setTimeout(() => ac.abort(), 30);
  const settled = await Promise.race([
    match.then(
      () => 'resolved',
      (e: { code?: string }) => e.code ?? 'uncoded',
    ),
    new Promise((r) => setTimeout(() => r('still pending'), 2000)),
  ]);
  t.is(settled, LlmErrorCode.Aborted);
  // Aborted before the start: rejects at once, no policy call.
  let calls = 0;
  const counted: TextPolicy = async () => (calls++, 'x');
  await t.throwsAsync(playTextMatch({ agents: [counted, counted], signal: AbortSignal.abort() }), { code: LlmErrorCode.Aborted });
  t.is(calls, 0);
});
