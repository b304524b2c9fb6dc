// Bud's own integrations: libraries no auto-instrumentations-node entry serves (or serves
// without what Bud needs), one file each in src/libraries/. Same shape and laziness as the
// generated catalog: the build bundles each `source` as dist/lazy/instrumentation-<name>.cjs,
// and activate.ts loads it only when the app first resolves one of `modules`. An entry whose
// name is also in the generated catalog replaces that one. `load` reaches the class through a
// type-level import of the same file as `source`, so tsc checks that the file exists and
// exports it (catalog-entry.ts). Owns this table; must not import what it names at run time.
import type { CatalogEntry } from './catalog-entry.ts';

export const ownCatalog: readonly CatalogEntry[] = [
  {
    name: 'fastify',
    source: '../libraries/fastify.ts',
    load: (chunk) => chunk<typeof import('../libraries/fastify.ts')>().FastifyInstrumentation,
    modules: ['fastify'],
  },
  {
    name: 'nestjs-core',
    source: '../libraries/nestjs.ts',
    load: (chunk) => chunk<typeof import('../libraries/nestjs.ts')>().NestjsInstrumentation,
    modules: ['@nestjs/core'],
  },
  {
    name: 'hono',
    source: '../libraries/hono.ts',
    load: (chunk) => chunk<typeof import('../libraries/hono.ts')>().HonoInstrumentation,
    modules: ['hono'],
  },
  {
    name: 'postgres',
    source: '../libraries/postgres-js.ts',
    load: (chunk) => chunk<typeof import('../libraries/postgres-js.ts')>().PostgresJsInstrumentation,
    modules: ['postgres'],
  },
  {
    name: 'openai',
    source: '../libraries/openai.ts',
    load: (chunk) => chunk<typeof import('../libraries/openai.ts')>().OpenAIInstrumentation,
    modules: ['openai'],
  },
  {
    name: 'anthropic',
    source: '../libraries/anthropic.ts',
    load: (chunk) => chunk<typeof import('../libraries/anthropic.ts')>().AnthropicInstrumentation,
    modules: ['@anthropic-ai/sdk'],
    supersedes: ['com.anthropic.sdk.typescript'],
  },
  {
    name: 'bullmq',
    source: '../libraries/bullmq.ts',
    load: (chunk) => chunk<typeof import('../libraries/bullmq.ts')>().BullMQInstrumentation,
    modules: ['bullmq'],
  },
  {
    name: 'dapr',
    source: '../libraries/dapr.ts',
    load: (chunk) => chunk<typeof import('../libraries/dapr.ts')>().DaprInstrumentation,
    modules: ['@dapr/dapr'],
  },
];
