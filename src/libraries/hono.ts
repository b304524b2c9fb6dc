// Hono (on @hono/node-server or any Node HTTP server), zero-code. Hono has no instrumentation
// of its own that needs no code (@hono/otel is a middleware the app must add), so this one
// patches as little as it can: the `Hono` export becomes a subclass whose constructor wraps
// the instance router's add(), so every handler is registered wrapped. A wrapped handler,
// when it runs, sets its route template (`/users/:id`) on the HTTP server span's RPC metadata
// (the http instrumentation then names the SERVER span `GET /users/:id` and sets http.route),
// and hands an error it throws to the server span (src/spans/server-span.ts) before Hono's onError
// turns it into a 500. `app.routes` keeps the app's own handlers; no middleware is added.
// Owns the Hono patch; must not start spans (Hono gets no INTERNAL spans of its own).
import { InstrumentationBase, InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { callNotingErrors, setServerRoute } from '../spans/server-span.ts';

type Handler = (...args: unknown[]) => unknown;
interface RouterRoute {
  path: string;
  method: string;
  handler: Handler;
}
interface Router {
  add(method: string, path: string, handler: unknown): void;
  [kWrapped]?: true;
}
interface HonoModule {
  Hono: new (...args: unknown[]) => { router: Router };
}

const kWrapped = Symbol('budobserve.hono.wrapped');
// The 'ALL' method with a wildcard path is middleware (`app.use('*', …)`, `app.use('/api/*', …)`):
// not the route a request was answered by.
const isMiddleware = (r: RouterRoute): boolean => r.method === 'ALL' && r.path.endsWith('*');

function wrapHandler(handler: Handler, route: RouterRoute): Handler {
  const sets = !isMiddleware(route);
  return function honoHandler(this: unknown, ...args: unknown[]): unknown {
    if (sets) setServerRoute(route.path);
    return callNotingErrors(handler, this, args);
  };
}

function wrapRouter(router: Router | undefined): void {
  if (router === undefined || router === null || typeof router.add !== 'function' || router[kWrapped] === true) return;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called later with its own receiver (Reflect.apply)
  const add = router.add;
  router.add = function add_(this: Router, method: string, path: string, entry: unknown): void {
    // Hono registers [handler, routerRoute]; anything else is passed on untouched.
    if (
      Array.isArray(entry) &&
      typeof entry[0] === 'function' &&
      typeof (entry[1] as RouterRoute | undefined)?.path === 'string'
    ) {
      entry = [wrapHandler(entry[0] as Handler, entry[1] as RouterRoute), entry[1]];
    }
    return Reflect.apply(add, this, [method, path, entry]) as void;
  };
  router[kWrapped] = true;
}

export class HonoInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-hono', '0.1.0', config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    const originals = new WeakMap<object, HonoModule['Hono']>();
    return [
      new InstrumentationNodeModuleDefinition(
        'hono',
        ['>=4.0.0 <5'],
        (exports: HonoModule) => {
          const Original = exports.Hono;
          if (typeof Original !== 'function' || originals.has(exports)) return exports;
          // Same name, and instances stay `instanceof` the original class.
          const Hono = class Hono extends Original {
            constructor(...args: unknown[]) {
              super(...args);
              try {
                wrapRouter(this.router);
              } catch {
                // the app keeps an uninstrumented router rather than an error
              }
            }
          };
          originals.set(exports, Original);
          exports.Hono = Hono;
          return exports;
        },
        (exports: HonoModule) => {
          const Original = originals.get(exports);
          if (Original !== undefined) exports.Hono = Original;
          originals.delete(exports);
        },
      ),
    ];
  }
}
