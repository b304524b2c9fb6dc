// configure(): starts the agent from code when it was not preloaded, with these options as
// a config-file layer (default < file < configure() < OTEL_* < BUD_OBSERVE_*). Calls made
// before it are kept and replayed. Preloaded, the agent is already running: its
// configuration stays, and configure() says so once.
import { createRequire } from 'node:module';
import type { BudObserveConfig } from '../config/public-types.ts';
import { runningAgent } from '../agent-global.ts';
import { warn } from '../errors.ts';

interface BootModule {
  start(input?: { inline?: BudObserveConfig }): unknown;
}

export function configure(options: BudObserveConfig = {}): void {
  if (runningAgent() !== undefined) {
    warn('BUDOBSERVE_CONFIG_INVALID', 'configureLate', [], { once: 'configure' });
    return;
  }
  try {
    // The SDK lives in the start bundle beside this one; both are in dist/.
    (createRequire(import.meta.url)('./boot.cjs') as BootModule).start({ inline: options });
  } catch (error) {
    warn('BUDOBSERVE_BOOT_FAILED', 'configure', [], { cause: error });
  }
}
