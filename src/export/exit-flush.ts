// Delivers telemetry from exit paths that run no more event-loop turns (process.exit(),
// an uncaught exception, the bound of a graceful flush running out): the payloads go to a
// worker thread, which sends them, while this thread waits on Atomics.wait. The worker
// starts only here, at exit and only when something is left to send, so a process that
// exits cleanly pays nothing for it.
import type { SignalTarget } from './exporters.ts';
import { debug } from '../debug.ts';

export interface ExitPayload {
  target: SignalTarget;
  body: Uint8Array;
}

export type ExitFlushResult = 'sent' | 'failed' | 'timeout' | 'nothing';

export function flushAtExit(payloads: ExitPayload[], deadline: number): ExitFlushResult {
  if (payloads.length === 0) return 'nothing';
  const remaining = deadline - Date.now();
  if (remaining <= 0) return 'timeout';
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const prepared = payloads.map(({ target, body }) => {
    const headers: Record<string, string> = { ...target.headers, 'content-type': target.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf' };
    if (target.compression === 'gzip') headers['content-encoding'] = 'gzip';
    return { url: target.url, headers, body: target.compression === 'gzip' ? process.getBuiltinModule('node:zlib').gzipSync(body) : body };
  });
  let worker: import('node:worker_threads').Worker | undefined;
  try {
    const { Worker } = process.getBuiltinModule('node:worker_threads');
    worker = new Worker(new URL('./exit-worker.cjs', import.meta.url), {
      workerData: { payloads: prepared, deadline, flag: flag.buffer },
      // The worker must not boot another agent: no inherited --import, and disabled by env
      // in case NODE_OPTIONS carries the agent.
      execArgv: [],
      env: { ...process.env, BUD_OBSERVE_DISABLED: 'true' },
      stdout: true,
      stderr: true,
    });
    worker.unref();
  } catch (error) {
    debug('exit worker failed to start: %o', error);
    return 'failed';
  }
  const waited = Atomics.wait(flag, 0, 0, remaining);
  void worker.terminate();
  if (waited === 'timed-out') return 'timeout';
  return Atomics.load(flag, 0) === 1 ? 'sent' : 'failed';
}
