// Internal diagnostics for agent developers and curious users: NODE_DEBUG=budobserve.
// util.debuglog costs one boolean check when disabled, so it may sit on warm paths.
import { debuglog } from 'node:util';

export const debug = debuglog('budobserve');

/** Milliseconds since the process started, for timing lines in the debug log. */
export const uptimeMs = (): string => (process.uptime() * 1000).toFixed(1);
