/**
 * The chat client against a local stub server speaking the chat-completions
 * protocol on 127.0.0.1 (port 0).
 */
import test from 'ava';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatClient, isLlmError, LlmErrorCode, Semaphore, type ChatMessage } from '../src/text/index.js';

interface StubReply {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  delayMs?: number;
}

interface Stub {
  baseURL: string;
  requests: { body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  maxInFlight: number;
  close(): Promise<void>;
}

function completion(content: string, usage?: { prompt_tokens: number; completion_tokens: number }) {
  return { id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], ...(usage ? { usage } : {}) };
}

async function stub(handler: (n: number, body: Record<string, unknown>) => StubReply): Promise<Stub> {
  let inFlight = 0;
  const s: Stub = { baseURL: '', requests: [], maxInFlight: 0, close: async () => {} };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    s.maxInFlight = Math.max(s.maxInFlight, inFlight);
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      const n = s.requests.length;
      s.requests.push({ body, headers: req.headers });
      const r = handler(n, body);
      const send = () => {
        inFlight--;
        if (res.destroyed) return;
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...(r.headers ?? {}) });
        res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body ?? completion('ok')));
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
    if (req.url !== '/v1/chat/completions' || req.method !== 'POST') {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  s.baseURL = `http://127.0.0.1:${port}/v1`;
  s.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return s;
}

const messages: ChatMessage[] = [
  { role: 'system', content: 'rules' },
  { role: 'user', content: 'hello' },
];

test('a completion: request body, headers, text and usage', async (t) => {
  const s = await stub(() => ({ body: completion('<<proposal_start>> 5 <<proposal_end>>', { prompt_tokens: 12, completion_tokens: 7 }) }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, apiKey: 'test-key', model: 'stub-model', temperature: 0.5, maxTokens: 64, extraBody: { top_p: 0.9 } });
  const c = await client.complete(messages);
  t.is(c.text, '<<proposal_start>> 5 <<proposal_end>>');
  t.is(c.finishReason, 'stop');
  t.deepEqual(c.usage, { promptTokens: 12, completionTokens: 7 });
  t.is(c.attempts, 1);
  t.deepEqual(s.requests[0].body, { model: 'stub-model', messages, top_p: 0.9, temperature: 0.5, max_tokens: 64 });
  t.is(s.requests[0].headers.authorization, 'Bearer test-key');
  t.is(s.requests[0].headers['content-type'], 'application/json');
  t.like(client.usage, { calls: 1, attempts: 1, retries: 0, failures: 0, promptTokens: 12, completionTokens: 7 });
});

test('usage accumulates over calls; missing usage counts as unknown', async (t) => {
  const s = await stub((n) => ({ body: n === 1 ? completion('b') : completion('a', { prompt_tokens: 10 + n, completion_tokens: 2 }) }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', apiKey: '' });
  const cs = [];
  for (let i = 0; i < 3; i++) cs.push(await client.complete(messages));
  t.deepEqual(cs.map((c) => c.usage), [
    { promptTokens: 10, completionTokens: 2 },
    { promptTokens: null, completionTokens: null },
    { promptTokens: 12, completionTokens: 2 },
  ]);
  t.like(client.usage, { calls: 3, promptTokens: 22, completionTokens: 4 });
  t.is(s.requests[0].headers.authorization, undefined);
});

test('a base URL without /v1 gets it; a trailing slash is fine', async (t) => {
  const s = await stub(() => ({}));
  t.teardown(() => s.close());
  const root = s.baseURL.replace(/\/v1$/, '');
  t.is(new ChatClient({ baseURL: root, model: 'm' }).endpoint, `${s.baseURL}/chat/completions`);
  t.is(new ChatClient({ baseURL: `${s.baseURL}/`, model: 'm' }).endpoint, `${s.baseURL}/chat/completions`);
  t.is((await new ChatClient({ baseURL: root, model: 'm' }).complete(messages)).text, 'ok');
});

test.serial('the endpoint and key come from OPENAI_BASE_URL and OPENAI_API_KEY', async (t) => {
  const s = await stub(() => ({}));
  t.teardown(() => s.close());
  const saved = { url: process.env.OPENAI_BASE_URL, key: process.env.OPENAI_API_KEY };
  t.teardown(() => {
    if (saved.url === undefined) delete process.env.OPENAI_BASE_URL;
    else process.env.OPENAI_BASE_URL = saved.url;
    if (saved.key === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved.key;
  });
  process.env.OPENAI_BASE_URL = s.baseURL;
  process.env.OPENAI_API_KEY = 'env-key';
  const client = new ChatClient({ model: 'm' });
  await client.complete(messages);
  t.is(s.requests[0].headers.authorization, 'Bearer env-key');
  delete process.env.OPENAI_BASE_URL;
  t.throws(() => new ChatClient({ model: 'm' }), { code: LlmErrorCode.Config, message: /OPENAI_BASE_URL/ });
  t.throws(() => new ChatClient({ baseURL: s.baseURL, model: '' }), { code: LlmErrorCode.Config });
  t.throws(() => new ChatClient({ baseURL: 'not a url', model: 'm' }), { code: LlmErrorCode.Config });
  t.throws(() => new ChatClient({ baseURL: s.baseURL, model: 'm', retries: -1 }), { code: 'ERR_INVALID_ARGUMENT', message: /options\.retries/ });
});

test.serial('500 then success: retried after a jittered backoff', async (t) => {
  const s = await stub((n) => (n === 0 ? { status: 500, body: { error: 'boom' } } : { body: completion('fine') }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', seed: 7, backoff: { initialMs: 40, maxMs: 1000 } });
  const t0 = performance.now();
  const c = await client.complete(messages);
  const ms = performance.now() - t0;
  t.is(c.text, 'fine');
  t.is(c.attempts, 2);
  t.is(s.requests.length, 2);
  t.true(ms >= 19, `waited ${ms} ms`); // equal jitter: between 20 and 40 ms
  t.like(client.usage, { calls: 1, attempts: 2, retries: 1, failures: 0 });
});

test('the jitter is seeded: equal seeds wait equally, each wait within [d/2, d]', async (t) => {
  const s = await stub((n) => (n % 5 < 4 ? { status: 503 } : { body: completion('x') }));
  t.teardown(() => s.close());
  const delays = async (seed: number) => {
    const seen: number[] = [];
    const client = new ChatClient({
      baseURL: s.baseURL,
      model: 'm',
      seed,
      backoff: { initialMs: 4, factor: 2, maxMs: 16 },
      onRetry: (info) => {
        t.is(info.code, LlmErrorCode.Http);
        t.is(info.status, 503);
        t.false(info.retryAfter);
        seen.push(info.delayMs);
      },
    });
    await client.complete(messages);
    return seen;
  };
  const a = await delays(3);
  const b = await delays(3);
  const c = await delays(4);
  t.deepEqual(a, b);
  t.notDeepEqual(a, c);
  t.is(a.length, 4);
  // Nominal delays 4, 8, 16, 16 (capped); equal jitter keeps each in [d/2, d].
  [4, 8, 16, 16].forEach((d, i) => t.true(a[i] >= d / 2 && a[i] <= d, `${a[i]} for ${d}`));
});

test.serial('429 with retry-after waits that long before retrying', async (t) => {
  const s = await stub((n) => (n === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: { error: 'slow down' } } : { body: completion('after') }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', backoff: { initialMs: 1, maxMs: 1 } });
  const t0 = performance.now();
  const c = await client.complete(messages);
  const ms = performance.now() - t0;
  t.is(c.text, 'after');
  t.true(ms >= 950, `waited ${ms} ms`);
});

test('429 with retry-after-ms; the wait is capped by maxRetryAfterMs', async (t) => {
  const s = await stub((n): StubReply => (n === 0 ? { status: 429, headers: { 'retry-after-ms': '60', 'retry-after': '30' } } : n === 1 ? { status: 429, headers: { 'retry-after': '30' } } : {}));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', maxRetryAfterMs: 100 });
  const t0 = performance.now();
  await client.complete(messages);
  const ms = performance.now() - t0;
  t.true(ms >= 150 && ms < 2000, `waited ${ms} ms`);
});

test('non-retryable statuses fail at once with ERR_LLM_HTTP and the status', async (t) => {
  const s = await stub(() => ({ status: 401, body: { error: 'bad key' } }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm' });
  const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Http, message: /HTTP 401.*bad key/ });
  t.true(isLlmError(e));
  t.like(e as object, { status: 401, attempts: 1, name: 'DilemmaError' });
  t.is(s.requests.length, 1);
  t.like(client.usage, { failures: 1, calls: 0 });
});

test('retries are bounded: persistent 503 ends in ERR_LLM_HTTP after retries + 1 attempts', async (t) => {
  const s = await stub(() => ({ status: 503 }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', retries: 2, backoff: { initialMs: 1 } });
  const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Http });
  t.like(e as object, { status: 503, attempts: 3 });
  t.is(s.requests.length, 3);
});

test('a slow endpoint times out with ERR_LLM_TIMEOUT; a timeout is retried', async (t) => {
  const s = await stub((n) => ({ delayMs: n < 1 ? 2000 : 1, body: completion('late but fine') }));
  t.teardown(() => s.close());
  const once = new ChatClient({ baseURL: s.baseURL, model: 'm', timeoutMs: 100, retries: 0 });
  const t0 = performance.now();
  const e = await t.throwsAsync(once.complete(messages), { code: LlmErrorCode.Timeout });
  t.true(performance.now() - t0 < 1500);
  t.like(e as object, { attempts: 1 });
  const again = new ChatClient({ baseURL: s.baseURL, model: 'm', timeoutMs: 500, retries: 1, backoff: { initialMs: 1 } });
  t.is((await again.complete(messages)).text, 'late but fine');
});

test('network errors are retried, then ERR_LLM_NETWORK', async (t) => {
  const s = await stub(() => ({}));
  const url = s.baseURL;
  await s.close();
  const client = new ChatClient({ baseURL: url, model: 'm', retries: 1, backoff: { initialMs: 1 } });
  const e = await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Network });
  t.like(e as object, { attempts: 2 });
});

test('a 2xx body that is not a completion is ERR_LLM_RESPONSE; null content is an empty reply', async (t) => {
  const s = await stub((n) => (n === 0 ? { body: 'not json' } : n === 1 ? { body: { choices: [] } } : { body: { choices: [{ message: { content: null } }] } }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm' });
  await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Response, message: /not JSON/ });
  await t.throwsAsync(client.complete(messages), { code: LlmErrorCode.Response, message: /without choices/ });
  t.is((await client.complete(messages)).text, '');
  t.is(s.requests.length, 3);
});

test('the concurrency limit holds over every call of a client', async (t) => {
  const s = await stub(() => ({ delayMs: 30, body: completion('x', { prompt_tokens: 1, completion_tokens: 1 }) }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm', concurrency: 3 });
  const results = await Promise.all(Array.from({ length: 12 }, () => client.complete(messages)));
  t.is(results.length, 12);
  t.is(s.maxInFlight, 3);
  t.is(client.usage.maxInFlight, 3);
  t.is(client.inFlight, 0);
  t.like(client.usage, { calls: 12, promptTokens: 12, completionTokens: 12 });
});

test('the caller signal aborts a call with ERR_LLM_ABORTED and no retry', async (t) => {
  const s = await stub(() => ({ delayMs: 1000 }));
  t.teardown(() => s.close());
  const client = new ChatClient({ baseURL: s.baseURL, model: 'm' });
  const ac = new AbortController();
  const call = client.complete(messages, { signal: ac.signal });
  while (s.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  ac.abort();
  const e = await t.throwsAsync(call, { code: LlmErrorCode.Aborted });
  t.like(e as object, { attempts: 1 });
  t.is(s.requests.length, 1);
});

test('the client policy answers text requests with text and usage', async (t) => {
  const s = await stub(() => ({ body: completion('<<message_start>> hi <<message_end>>', { prompt_tokens: 5, completion_tokens: 3 }) }));
  t.teardown(() => s.close());
  const policy = new ChatClient({ baseURL: s.baseURL, model: 'm' }).policy({ temperature: 0 });
  const reply = await policy({ agent: 0, round: 0, phase: 'message', prompt: messages, view: {} as never, params: {} as never, maxMessageChars: 500 });
  t.deepEqual(reply, { text: '<<message_start>> hi <<message_end>>', usage: { promptTokens: 5, completionTokens: 3 } });
  t.is(s.requests[0].body.temperature, 0);
});

test('the semaphore serves waiters in order and a waiter can give up', async (t) => {
  const sem = new Semaphore(1);
  const order: number[] = [];
  const r1 = await sem.acquire();
  const p2 = sem.acquire().then((r) => (order.push(2), r));
  const ac = new AbortController();
  const p3 = sem.acquire(ac.signal);
  const p4 = sem.acquire().then((r) => (order.push(4), r));
  t.is(sem.waiting, 3);
  ac.abort(new Error('gave up'));
  await t.throwsAsync(p3, { message: 'gave up' });
  r1();
  (await p2)();
  (await p4)();
  t.deepEqual(order, [2, 4]);
  t.is(sem.active, 0);
});
