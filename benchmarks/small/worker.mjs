// One worker of benchmarks/small/workers.mjs: says it is up, and nothing else.
import { parentPort } from 'node:worker_threads';

parentPort.postMessage('up');
