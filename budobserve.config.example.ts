// BudObserve agent configuration. Loaded by `node --import @budobserve/agent/register`.
// Precedence for every option: this file < OTEL_* variables < BUD_OBSERVE_* variables.
// It loads in any project ("type": "module", "commonjs" or none) with --import or
// --require: the agent loads it as the ES module it is, and Node (22.18+) strips the
// types itself, with no TypeScript install. Syntax Node cannot strip
// (enum, namespace, parameter properties) makes this file fail to load; the agent then
// says where and why, and runs on environment variables and defaults.
import { defineConfig } from '@budobserve/agent';

export default defineConfig({
  // service.name; default: the "name" in package.json. Env: BUD_OBSERVE_SERVICE_NAME
  // serviceName: 'my-service',
  // deployment.environment.name. Env: BUD_OBSERVE_ENVIRONMENT
  // environment: 'production',

  export: {
    // OTLP base URL; without one, spans are printed to stderr. Env: BUD_OBSERVE_ENDPOINT
    // endpoint: 'http://localhost:4318',
    // 'http/protobuf' (default), 'http/json' or 'grpc'. Env: BUD_OBSERVE_PROTOCOL
    // protocol: 'http/protobuf',
    // Prefer the BUD_OBSERVE_TOKEN variable to writing a token here.
  },

  // Bud platform ids, added to every span's resource. Env: BUD_OBSERVE_PROJECT_ID, ...
  // bud: { projectId: '', endpointId: '', modelId: '', clusterId: '' },

  instrumentations: {
    // Short names from @opentelemetry/auto-instrumentations-node: http, express, pg, ...
    // disabled: ['dns'],
    // http: { ignoreIncomingRequestHook: (req) => req.url === '/healthz' },
  },

  autoTrace: {
    // Your own modules whose functions become spans (globs from this folder).
    // modules: ['src/services/**'],
    // minDuration: '5ms',
  },

  // console: { enabled: true, verbose: false },
  // sampling: { headSampleRate: 1 },
});
