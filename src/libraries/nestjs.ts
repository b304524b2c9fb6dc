// NestJS up to 12, zero-code: @opentelemetry/instrumentation-nestjs-core with its version range
// widened (it declares <12; its spans hold on 12, test/integrations-web.test.mjs) and a way in
// for Nest 12, which is ES modules only. The upstream instrumentation patches two internal
// files (nest-factory.js, router/router-execution-context.js); an ES module's internal files
// are not hooked by the agent, so this also patches from the package's main exports: the
// exported NestFactory's create(), and through the application it returns, the prototype of
// its RouterExecutionContext, before listen() registers the routes. Bud adds: a handler's
// error is handed to the HTTP server span (src/spans/server-span.ts), since Nest answers it itself.
// The route and `METHOD route` name come from the express (or fastify) integration below Nest.
// Owns the widening and these two patches; must not change what the upstream spans contain.
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { InstrumentationNodeModuleDefinition, isWrapped } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { callNotingErrors } from '../spans/server-span.ts';

const VERSIONS = ['>=4.0.0 <13'];
const kPatched = Symbol.for('budobserve.nestjs.patched');

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Proto = Record<string | symbol, unknown> & { create: Fn };
interface App {
  routesResolver?: { routerExplorer?: { executionContextCreator?: object } };
}

/** Wraps the request handlers a RouterExecutionContext creates so that their errors reach the server span. */
function noteHandlerErrors(original: Fn): Fn {
  return function create(this: unknown, ...args: unknown[]): unknown {
    const handler = Reflect.apply(original, this, args);
    if (typeof handler !== 'function') return handler;
    return function handle(this: unknown, ...call: unknown[]): unknown {
      return callNotingErrors(handler as Fn, this, call);
    };
  };
}

export class NestjsInstrumentation extends NestInstrumentation {
  constructor(config: InstrumentationConfig = {}) {
    super(config);
  }

  override init(): InstrumentationNodeModuleDefinition {
    const module = new InstrumentationNodeModuleDefinition(
      NestInstrumentation.COMPONENT,
      VERSIONS,
      (exports: { NestFactory?: object }, version?: string) => {
        try {
          this.#patchFactory(exports.NestFactory, version);
        } catch {
          // Nest runs without the request spans rather than with an error
        }
        return exports;
      },
    );
    const routerFile = this.getRouterExecutionContextFileInstrumentation(VERSIONS);
    const patchRouterFile = routerFile.patch.bind(routerFile);
    // CommonJS Nest (≤11): the upstream file patches, plus the error hand-over.
    routerFile.patch = (
      moduleExports: { RouterExecutionContext?: { prototype: Proto } },
      version?: string,
    ): unknown => {
      const out: unknown = patchRouterFile(moduleExports, version);
      this.#noteErrors(moduleExports.RouterExecutionContext?.prototype);
      return out;
    };
    module.files.push(this.getNestFactoryFileInstrumentation(VERSIONS), routerFile);
    return module;
  }

  #noteErrors(proto: Proto | undefined): void {
    if (proto === undefined || proto[kPatched] === true || typeof proto.create !== 'function') return;
    proto.create = noteHandlerErrors(proto.create);
    proto[kPatched] = true;
  }

  /** Nest 12 (ES modules): reach RouterExecutionContext through the application create() returns. */
  #patchFactory(factory: object | undefined, version: string | undefined): void {
    const proto = factory === undefined ? undefined : (Object.getPrototypeOf(factory) as Proto | null);
    // Already wrapped: CommonJS Nest, whose nest-factory.js the upstream file patch reached.
    if (
      proto === null ||
      proto === undefined ||
      typeof proto.create !== 'function' ||
      isWrapped(proto.create) ||
      proto[kPatched] === true
    )
      return;
    // The upstream 'Create Nest App' span.
    this.getNestFactoryFileInstrumentation(VERSIONS).patch({ NestFactoryStatic: proto.constructor }, version);
    const routerFile = this.getRouterExecutionContextFileInstrumentation(VERSIONS);
    const original = proto.create;
    const self = this;
    proto.create = async function create(this: unknown, ...args: unknown[]): Promise<unknown> {
      const app = (await Reflect.apply(original, this, args)) as App | undefined;
      try {
        const creator = app?.routesResolver?.routerExplorer?.executionContextCreator;
        const ctor = creator === undefined ? undefined : (creator.constructor as { prototype: Proto });
        if (ctor !== undefined && !isWrapped(ctor.prototype.create)) {
          routerFile.patch({ RouterExecutionContext: ctor }, version);
          self.#noteErrors(ctor.prototype);
        }
      } catch {
        // the app keeps its uninstrumented routes
      }
      return app;
    };
    proto[kPatched] = true;
  }
}
