// Delivers telemetry from exit paths that run no more event-loop turns (process.exit(),
// an uncaught exception, the bound of a graceful flush running out): the payloads go to a
// worker thread, which sends them, while this thread waits on Atomics.wait until the shared
// exit deadline at most. The worker starts only here, at exit and only when something is
// left to send, so a process that exits cleanly pays nothing for it.
// Owns the worker's lifetime; must not print (shutdown.ts makes the one exit report).
import type { SignalTarget } from './exporters.ts';
import { debug } from '../debug.ts';

export interface ExitPayload {
  target: SignalTarget;
  body: Uint8Array;
}

export type ExitFlushResult = { result: 'sent' | 'nothing' | 'timeout' } | { result: 'failed'; reason: string };

export function flushAtExit(payloads: ExitPayload[], deadline: number): ExitFlushResult {
  if (payloads.length === 0) return { result: 'nothing' };
  const remaining = deadline - Date.now();
  if (remaining <= 0) return { result: 'timeout' };
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const prepared = payloads.map(({ target, body }) => {
    const headers: Record<string, string> = {
      ...target.headers,
      'content-type': target.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf',
    };
    if (target.compression === 'gzip') headers['content-encoding'] = 'gzip';
    return {
      url: target.url,
      headers,
      body: target.compression === 'gzip' ? process.getBuiltinModule('node:zlib').gzipSync(body) : body,
    };
  });
  const { Worker, MessageChannel, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
  const { port1, port2 } = new MessageChannel();
  let worker: import('node:worker_threads').Worker | undefined;
  try {
    worker = new Worker(new URL('./exit-worker.cjs', import.meta.url), {
      workerData: { payloads: prepared, deadline, flag: flag.buffer, port: port2 },
      transferList: [port2],
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
    port1.close();
    return { result: 'failed', reason: 'the exit flush could not start its worker thread' };
  }
  const waited = Atomics.wait(flag, 0, 0, remaining);
  void worker.terminate();
  // The worker posts the reason before it sets the flag, so it is there to read now.
  const reason: unknown = receiveMessageOnPort(port1)?.message;
  port1.close();
  if (waited === 'timed-out') return { result: 'timeout' };
  if (Atomics.load(flag, 0) === 1) return { result: 'sent' };
  return { result: 'failed', reason: typeof reason === 'string' ? reason : 'no answer' };
}
