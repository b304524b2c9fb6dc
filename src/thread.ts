// Which thread the agent runs in, without loading node:worker_threads in the main thread
// (about 2 ms at every start; a worker has it loaded already). Node replaces process.abort in
// every worker, internal ones included, with a function named unavailableInWorker; the
// agent reads it before the app's first line, so no app has replaced it yet. Owns that
// question only.

const workerThreads = (): typeof import('node:worker_threads') => process.getBuiltinModule('node:worker_threads');

/** Whether this is the process's main thread. */
export const isMainThread = (): boolean => process.abort.name === 'abort' || workerThreads().isMainThread;

/** Whether this is one of Node's own threads (the module hooks' thread), never the app's. */
export const isInternalThread = (): boolean => !isMainThread() && workerThreads().isInternalThread === true;
