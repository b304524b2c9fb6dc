// Runs in a worker thread started at process exit (dist/exit-worker.cjs). The main thread
// can no longer run its event loop, so it hands the serialized telemetry here and blocks
// on Atomics.wait until this thread reports the collector's answer or the time runs out.
// Deliberately tiny: no OTel code, one request per payload, no retries past the deadline.
import { workerData } from 'node:worker_threads';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface Payload { url: string; headers: Record<string, string>; body: Uint8Array }
interface Data { payloads: Payload[]; deadline: number; flag: SharedArrayBuffer }

const data = workerData as Data;
const flag = new Int32Array(data.flag);

function post(p: Payload): Promise<number> {
  return new Promise((resolve) => {
    const url = new URL(p.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeout = Math.max(1, data.deadline - Date.now());
    const req = send(url, { method: 'POST', headers: { ...p.headers, 'content-length': String(p.body.byteLength) }, timeout }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(-1));
    req.end(p.body);
  });
}

// 1 = every payload accepted, 2 = at least one failed.
void Promise.all(data.payloads.map(post)).then((results) => {
  Atomics.store(flag, 0, results.every((s) => s >= 200 && s < 300) ? 1 : 2);
  Atomics.notify(flag, 0);
});
