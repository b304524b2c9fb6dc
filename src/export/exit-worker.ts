// Runs in a worker thread started at process exit (dist/exit-worker.cjs). The main thread
// can no longer run its event loop, so it hands the serialized telemetry here and blocks
// on Atomics.wait until this thread reports the collector's answer or the time runs out.
// Deliberately tiny: no OTel code, one request per payload, no retries (the exit deadline
// is what is left of one shared bound, and a refused collector must end the wait at once).
// Owns nothing but these requests; must not print (the main thread makes the one report).
import { workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

interface Payload {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}
interface Data {
  payloads: Payload[];
  deadline: number;
  flag: SharedArrayBuffer;
  port: MessagePort;
}

const data = workerData as Data;
const flag = new Int32Array(data.flag);

/** The HTTP status, or the reason no answer came (an error code, never a header's value). */
function post(p: Payload): Promise<number | string> {
  return new Promise((resolve) => {
    const url = new URL(p.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // A backstop only: the main thread stops waiting at the deadline and ends this thread. A
    // timeout at the deadline itself raced that wait, and a collector that never answered
    // was reported now and then as a failed request (ECONNRESET) instead of as a timeout.
    const timeout = Math.max(1, data.deadline - Date.now()) + 1000;
    const failed = (e: unknown): void => resolve((e as NodeJS.ErrnoException | null)?.code ?? 'no answer');
    try {
      const req = send(
        url,
        { method: 'POST', headers: { ...p.headers, 'content-length': String(p.body.byteLength) }, timeout },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', failed);
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', failed);
      req.end(p.body);
    } catch (error) {
      // Node refused to build the request (a header with CR/LF): final, and said at once.
      failed(error);
    }
  });
}

// 1 = every payload accepted, 2 = at least one failed (the reason goes on the port first).
void Promise.all(data.payloads.map(post)).then((results) => {
  const bad = results.find((s) => typeof s === 'string' || s < 200 || s >= 300);
  if (bad !== undefined) data.port.postMessage(typeof bad === 'string' ? bad : `collector answered HTTP ${bad}`);
  Atomics.store(flag, 0, bad === undefined ? 1 : 2);
  Atomics.notify(flag, 0);
});
