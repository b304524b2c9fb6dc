// PLACEHOLDER (replaced by the integration's own work): instruments nothing yet.
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

export class AnthropicInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-@anthropic-ai/sdk', '0.0.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [];
  }
}
