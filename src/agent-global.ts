// The running agent as the rest of the process sees it: the one declared shape of
// globalThis[kAgent]. The boot sets it; the API (tags, minLevel, flush, shutdown), configure()
// and the testing capture (the processor chain) read it. Any copy of the package may be the
// reader, another copy (another install, another version) the writer, so the shape is a
// contract between copies, versioned in its key (symbols.ts, undici's globalDispatcher.1
// pattern): a change a reader of the old shape would trip over is a new interface under a
// new key, and each copy then sees only the agents it understands.
// Owns the contract and its accessors; must not import the boot, so that reading it costs
// the API and testing bundles nothing.
import type { SpanProcessor } from '@opentelemetry/sdk-trace';
import type { LevelName } from './levels.ts';
import { kAgent } from './symbols.ts';

/** Version 1 of the running agent's global, `globalThis[Symbol.for('budobserve.agent.instance.1')]`. */
export interface AgentGlobal {
  config: {
    /** Tags added to every span the API makes. */
    tags: string[];
    /** Log-spans below this level are dropped. */
    minLevel: LevelName;
  };
  lifecycle: {
    forceFlush(): Promise<void>;
    shutdown(): Promise<void>;
  };
  sdk: {
    /** Where span processors are added after boot (the testing capture). */
    chain: { add(processor: SpanProcessor): void; remove(processor: SpanProcessor): void };
  };
}

const slot = globalThis as { [kAgent]?: AgentGlobal };

/** The agent running in this thread, whichever copy of the package started it. */
export function runningAgent(): AgentGlobal | undefined {
  return slot[kAgent];
}

/** Called once by the boot that started the agent. */
export function publishAgent(agent: AgentGlobal): void {
  slot[kAgent] = agent;
}
