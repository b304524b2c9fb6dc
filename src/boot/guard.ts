// Decides, before anything is loaded, whether the agent should start in this thread: a
// supported Node, not already started here (two copies, --require plus --import), not
// disabled, and not a package manager or build tool that NODE_OPTIONS carried it into.
import { basename } from 'node:path';
import { kBooted } from '../symbols.ts';

export type GuardVerdict = { boot: true } | { boot: false; reason: string; warnCode?: 'BUDOBSERVE_UNSUPPORTED_NODE' };

/** `^22.18.0 || >=24.11.0`; 23 and 25 are odd lines and never LTS, 25 is accepted from 25.1. */
export function nodeSupported(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version
    .replace(/^v/, '')
    .split('.')
    .map((n) => Number.parseInt(n, 10));
  if (major === 22) return minor >= 18;
  if (major === 23) return false;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 0);
  return major >= 25;
}

/** The program a process runs, as a user would name it: 'npm' for .../npm/bin/npm-cli.js. */
export function commandName(argv1: string | undefined): string | undefined {
  if (argv1 === undefined || argv1 === '') return undefined;
  const base = basename(argv1)
    .replace(/\.(c|m)?js$/, '')
    .replace(/-cli$/, '');
  return base;
}

export function checkGuard(input: {
  version: string;
  argv1: string | undefined;
  skipCommands: readonly string[];
  global: Record<symbol, unknown>;
  internalThread: boolean;
}): GuardVerdict {
  if (!nodeSupported(input.version)) {
    return {
      boot: false,
      reason: `Node.js ${input.version} is not supported (needs ^22.18.0 || >=24.11.0); the app runs without the agent`,
      warnCode: 'BUDOBSERVE_UNSUPPORTED_NODE',
    };
  }
  if (input.global[kBooted] !== undefined) return { boot: false, reason: 'already started in this thread' };
  // Node runs --require preloads in its own module-hooks thread too (module.register); an
  // agent there would hook the hooks.
  if (input.internalThread) return { boot: false, reason: "Node's internal thread" };
  const cmd = commandName(input.argv1);
  if (cmd !== undefined && input.skipCommands.includes(cmd))
    return { boot: false, reason: `'${cmd}' is a tool the agent stays out of (guard.skipCommands)` };
  return { boot: true };
}
