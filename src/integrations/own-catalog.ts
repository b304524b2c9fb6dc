// Bud's own integrations: libraries no auto-instrumentations-node entry serves (or serves
// without what Bud needs). Same shape and laziness as the generated catalog: the build
// bundles each `pkg` (a package, or a source file here) as dist/lazy/instrumentation-<name>.cjs,
// and activate.ts loads it only when the app first resolves one of `modules`. An entry whose
// name is also in the generated catalog replaces that one. One entry per line, fields in
// this order: scripts/build.mjs and test/catalog.test.mjs read them with a regular expression.
import type { CatalogEntry } from './catalog.ts';

export const ownCatalog: readonly CatalogEntry[] = [
  { name: "fastify", pkg: "./src/libraries/fastify.ts", exportName: "FastifyInstrumentation", modules: ["fastify"] },
  { name: "nestjs-core", pkg: "./src/libraries/nestjs.ts", exportName: "NestjsInstrumentation", modules: ["@nestjs/core"] },
  { name: "hono", pkg: "./src/libraries/hono.ts", exportName: "HonoInstrumentation", modules: ["hono"] },
  { name: "postgres", pkg: "./src/libraries/postgres-js.ts", exportName: "PostgresJsInstrumentation", modules: ["postgres"] },
  { name: "openai", pkg: "./src/libraries/openai.ts", exportName: "OpenAIInstrumentation", modules: ["openai"] },
  { name: "anthropic", pkg: "./src/libraries/anthropic.ts", exportName: "AnthropicInstrumentation", modules: ["@anthropic-ai/sdk"], supersedes: ["com.anthropic.sdk.typescript"] },
  { name: "bullmq", pkg: "./src/libraries/bullmq.ts", exportName: "BullMQInstrumentation", modules: ["bullmq"] },
  { name: "dapr", pkg: "./src/libraries/dapr.ts", exportName: "DaprInstrumentation", modules: ["@dapr/dapr"] },
];
