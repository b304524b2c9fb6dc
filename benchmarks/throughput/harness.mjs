// What benchmarks/throughput.mjs and benchmarks/throughput-profile.mjs share: the loopback
// sink (OTLP/HTTP for BudObserve and OTel, the Datadog agent's intake for dd-trace), the
// contenders' command lines and environments, and starting the app under one of them.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The sink. OTLP spans are counted by walking the protobuf's length-delimited fields
 * (resource_spans=1 > scope_spans=2 > spans=2) without decoding a span: the sink shares the
 * machine with the app under load.
 */
export async function startSink() {
  const sink = { spans: 0, url: '', close: () => server.close() };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const otlp = req.url.startsWith('/v1/');
      if (req.url === '/v1/traces') {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        sink.spans += countSpans(body);
      }
      res.writeHead(200, { 'content-type': otlp ? 'application/x-protobuf' : 'application/json' });
      res.end(otlp ? undefined : '{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  sink.url = `http://127.0.0.1:${server.address().port}`;
  return sink;
}

function* lenFields(buf, start, end) {
  let i = start;
  while (i < end) {
    let key = 0;
    for (let s = 0; ; s += 7) {
      const b = buf[i++];
      key += (b & 0x7f) * 2 ** s;
      if (b < 0x80) break;
    }
    const wire = key & 7;
    if (wire === 0) {
      while (buf[i++] >= 0x80);
      continue;
    }
    if (wire === 1) {
      i += 8;
      continue;
    }
    if (wire === 5) {
      i += 4;
      continue;
    }
    let len = 0;
    for (let s = 0; ; s += 7) {
      const b = buf[i++];
      len += (b & 0x7f) * 2 ** s;
      if (b < 0x80) break;
    }
    yield [Math.floor(key / 8), i, i + len];
    i += len;
  }
}

function countSpans(buf) {
  let n = 0;
  for (const [f1, s1, e1] of lenFields(buf, 0, buf.length)) {
    if (f1 !== 1) continue;
    for (const [f2, s2, e2] of lenFields(buf, s1, e1)) {
      if (f2 !== 2) continue;
      for (const [f3] of lenFields(buf, s2, e2)) if (f3 === 2) n++;
    }
  }
  return n;
}

const quiet = { OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_SERVICE_NAME: 'throughput' };

/** Each contender's preload flags and environment; `otlp` where the sink counts its spans. */
export function contenders(sinkUrl) {
  return {
    plain: { args: [], env: {} },
    budobserve: {
      args: ['--import', `${root}register.mjs`],
      env: { ...quiet, BUD_OBSERVE_ENDPOINT: sinkUrl },
      otlp: true,
    },
    // Cloud detectors would probe metadata addresses at start; they change nothing per request.
    otel: {
      args: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
      env: {
        ...quiet,
        OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
      },
      otlp: true,
    },
    'dd-trace': {
      args: ['--require', 'dd-trace/init'],
      env: {
        DD_TRACE_AGENT_URL: sinkUrl,
        DD_SERVICE: 'throughput',
        DD_TRACE_STARTUP_LOGS: 'false',
        DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
        DD_REMOTE_CONFIGURATION_ENABLED: 'false',
        DD_RUNTIME_METRICS_ENABLED: 'false',
      },
    },
  };
}

const clean = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !/^(OTEL_|BUD_OBSERVE_|DD_|NODE_OPTIONS$)/.test(k)),
);

/** Starts the app (benchmarks/throughput/app.cjs) under `contender`; resolves once it listens. */
export async function launch(contender, route, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, ...contender.args, 'benchmarks/throughput/app.cjs'], {
    cwd: root,
    env: { ...clean, ...contender.env, ROUTE: route },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(String(d));
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`exited (${code}) before listening: ${stderr}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}/${route}`,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** utime + stime of a process, in µs (all its threads: the exporter's work counts too). */
export function cpuMicros(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100; // USER_HZ is 100 on Linux
}
