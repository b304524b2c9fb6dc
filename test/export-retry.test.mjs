// Unit tests of OTLP's retry rules and the transport that follows them: which answers and
// failures are worth another try (src/export/retry.ts), how long the wait before it is
// (backoff with jitter, Retry-After as a lower bound, capped), what changes once the app is
// exiting (no retry of a refused collector, no wait past the deadline); and HttpTransport
// (src/export/transport.ts) against a collector in this process: attempts counted, a retry
// wait woken at exit instead of waited out (mock timers: nothing here waits for a clock),
// abort, per-attempt deadline, gzip. And the span batch processor's retrying batches at exit
// (src/export/batch-processor.ts). test/reliability-collector.test.mjs has the same rules
// through a real app.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { gunzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import {
  abortError,
  hintFor,
  INITIAL_BACKOFF_MS,
  MAX_BACKOFF_MS,
  networkHint,
  nextBackoff,
  parseRetryAfter,
  retryWait,
  statusHint,
  withHint,
} from '../src/export/retry.ts';
import { ExportHttpError, HttpTransport } from '../src/export/transport.ts';
import { BudBatchSpanProcessor } from '../src/export/batch-processor.ts';
import { closedPort } from './helpers/net.mjs';

// Before any mock: the real timer, for a test to give up waiting on a promise.
const realSetTimeout = globalThis.setTimeout;

/** `promise`, or a rejection after `ms` of real time: a wait nobody woke fails the test instead of hanging it. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = realSetTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms of real time`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Turns of the event loop (setImmediate is never mocked here) until `done()` or `turns` run out. */
async function until(done, turns = 10_000) {
  for (let i = 0; i < turns && !done(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(done(), 'the condition never came');
}

// ---- retry.ts: the rules --------------------------------------------------------------------

test('statusHint: 429, 502, 503 and 504 are retried, every other answer is final; Retry-After is read', () => {
  for (const status of [429, 502, 503, 504])
    assert.deepEqual(statusHint(status, undefined), { retryable: true }, String(status));
  for (const status of [200, 400, 401, 403, 404, 408, 413, 500, 501, 505])
    assert.deepEqual(statusHint(status, undefined), { retryable: false }, String(status));
  assert.deepEqual(statusHint(503, '2'), { retryable: true, retryAfterMs: 2000 });
  assert.deepEqual(
    statusHint(400, '2'),
    { retryable: false, retryAfterMs: 2000 },
    'read, though a final answer is not retried',
  );
  assert.deepEqual(statusHint(429, 'soon'), { retryable: true }, 'an unreadable Retry-After is none');
});

test('parseRetryAfter: delta-seconds or an HTTP-date, never negative', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  const cases = [
    ['1', 1000],
    ['0', 0],
    ['1.5', 1500],
    [' 2 ', 2000],
    ['-1', 0],
    ['-0', 0],
    ['Wed, 21 Oct 2015 07:28:02 GMT', 2000],
    ['Wed, 21 Oct 2015 07:27:00 GMT', 0],
    ['Thu, 01 Jan 1970 00:00:00 GMT', 0],
    [undefined, undefined],
    ['', undefined],
    ['   ', undefined],
    ['abc', undefined],
    ['1e400', undefined],
    ['\u00ff', undefined],
  ];
  for (const [value, ms] of cases) assert.equal(parseRetryAfter(value, now), ms, JSON.stringify(value));
});

test('networkHint: every failure below HTTP is retryable; connection refused and no such host mean nobody listens', () => {
  for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'])
    assert.deepEqual(
      networkHint(Object.assign(new Error(code), { code })),
      { retryable: true, unreachable: true },
      code,
    );
  for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', undefined])
    assert.deepEqual(
      networkHint(Object.assign(new Error('x'), { code })),
      { retryable: true, unreachable: false },
      String(code),
    );
  assert.deepEqual(networkHint(undefined), { retryable: true, unreachable: false });
  assert.deepEqual(networkHint(null), { retryable: true, unreachable: false });
});

test('withHint and hintFor: a hint rides on the error; anything else has none', () => {
  const e = new Error('x');
  const tagged = withHint(e, { retryable: false });
  assert.equal(tagged, e, 'the same error');
  assert.deepEqual(hintFor(e), { retryable: false });
  for (const v of [new Error('plain'), undefined, null, 'text', { retry: 'yes' }, { retry: null }])
    assert.equal(hintFor(v), undefined, String(v));
  const aborted = abortError();
  assert.equal(aborted.message, 'export aborted: the exit bound was reached');
  assert.deepEqual(hintFor(aborted), { retryable: false, aborted: true });
});

test('nextBackoff: doubles from 500 ms up to 5 s', () => {
  assert.equal(INITIAL_BACKOFF_MS, 500);
  assert.equal(MAX_BACKOFF_MS, 5000);
  const seen = [];
  for (let b = INITIAL_BACKOFF_MS, i = 0; i < 6; i++, b = nextBackoff(b)) seen.push(b);
  assert.deepEqual(seen, [500, 1000, 2000, 4000, 5000, 5000]);
});

test('retryWait: none for final answers, aborts and no hint; the backoff with ±20% jitter otherwise', (t) => {
  assert.equal(retryWait(undefined, 500, undefined), undefined);
  assert.equal(retryWait({ retryable: false }, 500, undefined), undefined);
  assert.equal(retryWait({ retryable: true, aborted: true }, 500, undefined), undefined);
  const random = t.mock.method(Math, 'random', () => 0);
  assert.equal(retryWait({ retryable: true }, 1000, undefined), 800);
  random.mock.mockImplementation(() => 0.5);
  assert.equal(retryWait({ retryable: true }, 1000, undefined), 1000);
  random.mock.mockImplementation(() => 0.9999);
  assert.ok(Math.abs(retryWait({ retryable: true }, 1000, undefined) - 1199.96) < 1e-6);
  random.mock.mockImplementation(() => 0.5);
  assert.equal(
    retryWait({ retryable: true, unreachable: true }, 1000, undefined),
    1000,
    'a refused collector is retried while the app runs',
  );
});

test('retryWait: Retry-After is a lower bound, capped at 5 minutes; 0 or a past date is no request loop', (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  assert.equal(
    retryWait({ retryable: true, retryAfterMs: 0 }, 500, undefined),
    500,
    'Retry-After: 0 still waits the backoff',
  );
  assert.equal(retryWait({ retryable: true, retryAfterMs: 100 }, 500, undefined), 500);
  assert.equal(retryWait({ retryable: true, retryAfterMs: 2000 }, 500, undefined), 2000);
  assert.equal(retryWait({ retryable: true, retryAfterMs: 99_999_999_000 }, 500, undefined), 300_000);
});

test('retryWait while exiting: no retry of a refused collector, no wait ending at or past the deadline', (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  const now = 1_000_000;
  assert.equal(retryWait({ retryable: true, unreachable: true }, 500, now + 60_000, now), undefined);
  assert.equal(retryWait({ retryable: true }, 500, now + 60_000, now), 500);
  assert.equal(retryWait({ retryable: true }, 500, now + 501, now), 500);
  assert.equal(retryWait({ retryable: true }, 500, now + 500, now), undefined, 'a wait ending at the deadline is none');
  assert.equal(
    retryWait({ retryable: true, retryAfterMs: 2000 }, 500, now + 1000, now),
    undefined,
    'Retry-After past the deadline',
  );
});

// ---- transport.ts: the requests --------------------------------------------------------------

/** A collector in this process: `answer(req, res, n)` answers the n-th request (1-based). */
async function collector(answer) {
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req
      .on('data', (c) => chunks.push(c))
      .on('end', () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks) });
        answer(req, res, requests.length);
      });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}/v1/traces`,
    requests,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * The transport's http module, watched: requests made, answers read to their end, and
 * failures, counted on the client side. The transport's own listeners run first, so once a
 * count moved and the microtasks ran, the transport has acted on it (started its wait).
 */
function watchHttp(t) {
  const http = process.getBuiltinModule('node:http');
  const request = http.request;
  const seen = { requests: 0, answered: 0, failed: 0, responses: 0 };
  t.mock.method(http, 'request', (...args) => {
    seen.requests++;
    const req = request.apply(http, args);
    req.on('response', (res) => {
      seen.responses++;
      res.on('end', () => {
        seen.answered++;
      });
    });
    req.on('error', () => {
      seen.failed++;
    });
    return req;
  });
  return seen;
}

/** One turn of the event loop: the microtasks queued by what just happened have run. */
const turn = () => new Promise((r) => setImmediate(r));

const transportTo = (url, opts = {}) =>
  new HttpTransport({
    url,
    headers: { authorization: 'Bearer t' },
    contentType: 'application/x-protobuf',
    timeoutMs: 600_000,
    compression: 'none',
    ...opts,
  });
const failure = (promise) =>
  promise.then(
    () => assert.fail('the send succeeded'),
    (e) => e,
  );

test('HttpTransport: one POST with the headers, the body and its length; a 2xx is success', async (t) => {
  const c = await collector((req, res) => res.writeHead(202).end());
  t.after(c.close);
  await transportTo(c.url, { headers: { authorization: 'Bearer t', 'x-team': 'core' } }).send(
    new Uint8Array([1, 2, 3]),
  );
  assert.equal(c.requests.length, 1);
  const [q] = c.requests;
  assert.deepEqual(q.body, Buffer.from([1, 2, 3]));
  assert.equal(q.headers['content-type'], 'application/x-protobuf');
  assert.equal(q.headers['content-length'], '3');
  assert.equal(q.headers.authorization, 'Bearer t');
  assert.equal(q.headers['x-team'], 'core');
  assert.match(q.headers['user-agent'], /^budobserve-agent\/\S+$/);
  assert.equal(q.headers['content-encoding'], undefined);
});

test('HttpTransport: gzip compresses the body and says so', async (t) => {
  const c = await collector((req, res) => res.writeHead(200).end());
  t.after(c.close);
  const body = new TextEncoder().encode('x'.repeat(1000));
  await transportTo(c.url, { compression: 'gzip' }).send(body);
  assert.equal(c.requests[0].headers['content-encoding'], 'gzip');
  assert.ok(c.requests[0].body.length < 100);
  assert.deepEqual(gunzipSync(c.requests[0].body), Buffer.from(body));
});

test('HttpTransport: a final answer is not retried, and the error carries its status and hint', async (t) => {
  const c = await collector((req, res) => res.writeHead(400, { 'retry-after': '3' }).end());
  t.after(c.close);
  const error = await failure(transportTo(c.url).send(new Uint8Array(1)));
  assert.ok(error instanceof ExportHttpError);
  assert.equal(error.status, 400);
  assert.equal(error.message, 'collector answered HTTP 400');
  assert.deepEqual(hintFor(error), { retryable: false, retryAfterMs: 3000 });
  assert.equal(c.requests.length, 1);
});

test('HttpTransport: a retryable answer is tried again after the backoff, until accepted', async (t) => {
  t.mock.method(Math, 'random', () => 0);
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const http = watchHttp(t);
  const c = await collector((req, res, n) =>
    res.writeHead(n < 3 ? 503 : 200, n < 3 ? { 'retry-after': '0' } : {}).end(),
  );
  t.after(c.close);
  const sent = transportTo(c.url).send(new Uint8Array(1));
  await until(() => http.answered === 1);
  await turn();
  t.mock.timers.tick(399);
  await turn();
  assert.equal(http.requests, 1, 'not before the backoff (500 ms, -20%), Retry-After: 0 notwithstanding');
  t.mock.timers.tick(1);
  await until(() => http.answered === 2);
  await turn();
  t.mock.timers.tick(800); // the second backoff: 1000 ms, -20%
  await within(sent, 5000, 'the third attempt');
  assert.equal(http.requests, 3);
  assert.equal(c.requests.length, 3);
});

test('HttpTransport: with retry: false the caller gets the first failure and its hint', async (t) => {
  const c = await collector((req, res) => res.writeHead(503, { 'retry-after': '7' }).end());
  t.after(c.close);
  const error = await failure(transportTo(c.url, { retry: false }).send(new Uint8Array(1)));
  assert.deepEqual(hintFor(error), { retryable: true, retryAfterMs: 7000 });
  assert.equal(c.requests.length, 1);
});

test('HttpTransport while exiting: a retry whose wait would pass the deadline is not made', async (t) => {
  const c = await collector((req, res) => res.writeHead(503, { 'retry-after': '5' }).end());
  t.after(c.close);
  const transport = transportTo(c.url);
  transport.drain(Date.now() + 2000);
  const error = await within(failure(transport.send(new Uint8Array(1))), 5000, 'the send');
  assert.equal(error.status, 503);
  assert.equal(c.requests.length, 1);
});

test('HttpTransport: a refused collector, retried while the app runs, is tried once more at exit and given up, its backoff not waited out', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const url = `http://127.0.0.1:${await closedPort()}/v1/traces`;
  const http = watchHttp(t);
  const transport = transportTo(url);
  const sent = failure(transport.send(new Uint8Array(1)));
  // Refused: the backoff starts, a timer that, mocked, never fires by itself.
  await until(() => http.failed === 1);
  await turn();
  assert.equal(http.requests, 1, 'waiting out its backoff');
  transport.drain(Date.now() + 600_000);
  const error = await within(sent, 5000, 'the send after drain()');
  assert.equal(error.code, 'ECONNREFUSED');
  assert.deepEqual(hintFor(error), { retryable: true, unreachable: true });
  assert.equal(http.requests, 2, 'woken for one more try, which failed at once');
});

test('HttpTransport: abort() fails what is in flight and what waits to retry, as cut short by the exit bound', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const http = watchHttp(t);
  const hung = await collector(() => {});
  const throttling = await collector((req, res) => res.writeHead(503).end());
  t.after(() => {
    hung.close();
    throttling.close();
  });
  const inFlight = transportTo(hung.url);
  const retrying = transportTo(throttling.url);
  const sends = [
    ['in flight', inFlight, failure(inFlight.send(new Uint8Array(1)))],
    ['waiting to retry', retrying, failure(retrying.send(new Uint8Array(1)))],
  ];
  await until(() => hung.requests.length === 1 && http.answered === 1);
  await turn();
  for (const [what, transport, sent] of sends) {
    transport.abort();
    const error = await within(sent, 5000, what);
    assert.equal(error.message, 'export aborted: the exit bound was reached', what);
    assert.deepEqual(hintFor(error), { retryable: false, aborted: true }, what);
  }
  assert.equal(http.requests, 2, 'nothing tried again');
});

test('HttpTransport: an attempt ends at its deadline, even while the collector trickles its answer', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const c = await collector((req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('x'); // and nothing more: the socket is not idle, the answer never complete
  });
  t.after(c.close);
  const http = watchHttp(t);
  const sent = failure(transportTo(c.url, { retry: false, timeoutMs: 250 }).send(new Uint8Array(1)));
  await until(() => http.responses === 1);
  t.mock.timers.tick(249);
  await turn();
  assert.equal(http.failed, 0, 'not before its deadline');
  t.mock.timers.tick(1);
  const error = await within(sent, 5000, 'the send');
  assert.equal(error.message, 'no complete answer from the collector within 250 ms');
  assert.deepEqual(hintFor(error), { retryable: true, unreachable: false });
});

test('HttpTransport: within its export timeout with retry on, attempts stop when the time is up', async (t) => {
  t.mock.method(Math, 'random', () => 0);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const http = watchHttp(t);
  const c = await collector((req, res) => res.writeHead(503).end());
  t.after(c.close);
  const sent = failure(transportTo(c.url, { timeoutMs: 1500 }).send(new Uint8Array(1)));
  // Waits of 400 and 800 ms fit into 1500; the third (1600) does not.
  for (const [n, wait] of [
    [1, 400],
    [2, 800],
  ]) {
    await until(() => http.answered === n);
    await turn();
    t.mock.timers.tick(wait);
  }
  const error = await within(sent, 5000, 'the send');
  assert.equal(error.status, 503);
  assert.equal(http.requests, 3);
});

// ---- batch-processor.ts: retrying batches at exit --------------------------------------------

const span = (i) => ({ name: `s${i}`, spanContext: () => ({ traceFlags: 1 }) });

/** A processor whose exporter answers each export with `result(attempt)`; counts the attempts. */
function processor(result) {
  const exports = [];
  const p = new BudBatchSpanProcessor({
    exporter: {
      export: (batch, done) => {
        exports.push(batch.length);
        done(result(exports.length));
      },
      shutdown: async () => {},
    },
    scheduleDelayMs: 1000,
    maxQueueSize: 100,
    maxExportBatchSize: 10,
  });
  return { p, exports };
}
const refused = () => ({
  code: ExportResultCode.FAILED,
  error: withHint(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), {
    retryable: true,
    unreachable: true,
  }),
});
const throttled = (retryAfterMs) => () => ({
  code: ExportResultCode.FAILED,
  error: withHint(new Error('collector answered HTTP 503'), { retryable: true, retryAfterMs }),
});

test('batch processor: a batch retrying a refused collector is given up when the exit begins, not at its next try', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { p, exports } = processor(refused);
  for (let i = 0; i < 3; i++) p.onEnd(span(i));
  const flushed = p.forceFlush();
  assert.deepEqual(exports, [3], 'sent, refused, waiting for its retry');
  p.beginExit(Date.now() + 600_000);
  await within(flushed, 5000, 'the flush after beginExit()');
  assert.deepEqual(exports, [3], 'no second attempt');
  const loss = p.exitLoss();
  assert.equal(loss.failedAtExit, 3);
  assert.equal(loss.error.code, 'ECONNREFUSED');
  assert.equal(p.pending, 0);
});

test('batch processor at exit: a throttled batch is retried when its wait ends before the deadline, and given up when it would not', async (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const early = processor(throttled(1000));
  early.p.onEnd(span(0));
  void early.p.forceFlush();
  early.p.beginExit(Date.now() + 5000);
  t.mock.timers.tick(1000);
  assert.deepEqual(early.exports, [1, 1], 'retried after its Retry-After, within the bound');

  const late = processor(throttled(10_000));
  late.p.onEnd(span(0));
  const flushed = late.p.forceFlush();
  late.p.beginExit(Date.now() + 5000);
  await within(flushed, 5000, 'the flush');
  assert.deepEqual(late.exports, [1]);
  assert.equal(late.p.exitLoss().failedAtExit, 1);
});

test('batch processor: a batch failing during the exit is given up at once when its retry could not come in time, or the collector refuses', async (t) => {
  t.mock.method(Math, 'random', () => 0.5);
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  for (const [what, result] of [
    ['Retry-After past the deadline', throttled(10_000)],
    ['refused', refused],
  ]) {
    const { p, exports } = processor(result);
    p.beginExit(Date.now() + 5000);
    p.onEnd(span(0));
    await within(p.forceFlush(), 5000, what);
    assert.deepEqual(exports, [1], what);
    assert.equal(p.exitLoss().failedAtExit, 1, what);
  }
});

test('batch processor: when the exit bound is reached, retrying batches are cut short and counted as timed out', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const { p, exports } = processor(throttled(1000));
  for (let i = 0; i < 15; i++) p.onEnd(span(i));
  const flushed = p.forceFlush();
  assert.deepEqual(exports, [10, 5]);
  p.beginExit(Date.now() + 60_000);
  p.abortRetries();
  await within(flushed, 5000, 'the flush');
  assert.deepEqual(p.exitLoss(), {
    queueFull: 0,
    failedBefore: 0,
    failedAtExit: 0,
    error: undefined,
    timedOut: 15,
    droppedTotal: 15,
  });
});

test('batch processor: a queue many batches deep goes out whole, in order, each span once, one timer at a time', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const seen = [];
  const pending = [];
  const p = new BudBatchSpanProcessor({
    // Answers later: both export slots stay busy while the queue fills.
    exporter: {
      export: (batch, done) => pending.push(() => (seen.push(...batch), done({ code: 0 }))),
      shutdown: async () => {},
    },
    scheduleDelayMs: 1000,
    maxQueueSize: 5000,
    maxExportBatchSize: 64,
  });
  const set = t.mock.method(globalThis, 'setTimeout');
  const spans = Array.from({ length: 3000 }, (_, i) => span(i));
  for (const s of spans) p.onEnd(s);
  // The first span's timer at the delay, then one due at once when a batch is full: not one
  // more per span ended while the queue is over a batch.
  assert.equal(set.mock.callCount(), 2);
  t.mock.timers.tick(0);
  assert.equal(p.pending, 3000);
  const answerAll = () => {
    while (pending.length > 0) {
      pending.shift()();
      t.mock.timers.tick(0);
    }
  };
  answerAll();
  assert.equal(seen.length, 2944, 'the full batches');
  // The last 56 spans (less than a batch) go at the schedule delay.
  t.mock.timers.tick(1000);
  answerAll();
  assert.equal(seen.length, 3000);
  assert.ok(seen.every((s, i) => s === spans[i]));
  assert.equal(p.pending, 0);
});
