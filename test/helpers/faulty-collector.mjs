// An OTLP/HTTP collector whose behaviour can be switched while the app runs, for the
// reliability tests and benchmarks/collector-faults.mjs: healthy, refusing connections (the
// port stays reserved and accepts again on accept()), hanging, answering a status with
// headers, slow, resetting connections, trickling its answer, or anything a function does.
// Request bodies are kept and decoded only when asked (decoding in the load generator's
// process would skew the latency it measures).
import { createServer } from 'node:http';
import { once } from 'node:events';
import { decodeTracesProtobuf } from './otlp-receiver.mjs';

/**
 * Modes:
 *   { kind: 'ok' } | { kind: 'hang' } | { kind: 'reset' } | { kind: 'slow', ms }
 *   { kind: 'status', status, headers? } | { kind: 'trickle', ms }
 *   { kind: 'fn', fn(req, res, entry) }  — answer however fn likes
 * Each request is recorded as { t, path, headers, body, status } (status: what was answered,
 * undefined when nothing was). With tracesOnly, only /v1/traces requests see the mode.
 */
export async function startCollector({ mode = { kind: 'ok' }, tracesOnly = false } = {}) {
  const requests = [];
  const timers = new Set();
  let current = mode;
  const later = (ms, fn) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const answer = (res, entry, status, headers = {}) => {
    if (res.headersSent || res.destroyed || res.socket === null || res.socket.destroyed) return;
    entry.status = status;
    res.writeHead(status, { 'content-type': 'application/x-protobuf', ...headers }).end();
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        t: Date.now(),
        path: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks),
        status: undefined,
      };
      requests.push(entry);
      // tracesOnly: metrics and logs are always accepted, so only the span pipeline is sick.
      const m = tracesOnly && req.url !== '/v1/traces' && current.kind !== 'fn' ? { kind: 'ok' } : current;
      switch (m.kind) {
        case 'ok':
          return answer(res, entry, 200);
        case 'status':
          return answer(res, entry, m.status, m.headers);
        case 'hang':
          return undefined;
        case 'slow':
          return later(m.ms, () => answer(res, entry, 200));
        case 'reset':
          return req.socket.resetAndDestroy();
        case 'trickle': {
          res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '1000000' });
          const drip = () => {
            if (!res.destroyed) {
              res.write('x');
              later(m.ms, drip);
            }
          };
          return drip();
        }
        case 'fn':
          return m.fn(req, res, entry);
        default:
          throw new Error(`unknown mode ${m.kind}`);
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();

  const decode = (entries) =>
    entries
      .filter((e) => e.path === '/v1/traces' && e.body.length > 0)
      .flatMap((e) => {
        try {
          return decodeTracesProtobuf(e.body).map((s) => ({ ...s, requestIndex: requests.indexOf(e) }));
        } catch {
          return [];
        }
      });

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get mode() {
      return current;
    },
    set mode(m) {
      current = m;
    },
    /** Trace requests received (answered or not). */
    get traceRequests() {
      return requests.filter((e) => e.path === '/v1/traces');
    },
    /** Spans of the trace requests answered 2xx. */
    accepted() {
      return decode(requests.filter((e) => e.status >= 200 && e.status < 300));
    },
    /** Spans of every trace request that reached the collector, answered or not. */
    sent() {
      return decode(requests);
    },
    /** Stops listening: connections are refused until accept(). */
    async refuse() {
      if (!server.listening) return;
      const closed = new Promise((r) => server.close(r));
      server.closeAllConnections();
      await closed;
    },
    async accept() {
      if (server.listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      await this.refuse();
    },
  };
}
