// Dapr spans for @dapr/dapr over HTTP (CommunicationProtocolEnum.HTTP, the SDK's default):
// DaprClient's service invocation, state, pub/sub and output bindings become CLIENT / PRODUCER
// spans (`dapr invoke app-b/checkout`, `dapr state.save statestore`, `dapr publish pubsub/orders`,
// `dapr binding.send queue-out`) with dapr.* attributes. The SDK's own request to the sidecar
// (node-fetch over node:http) runs inside that span, so the HTTP instrumentation makes it a child
// and injects its traceparent; the sidecar carries it on to the called app or the subscriber.
// DaprServer runs Express: the HTTP instrumentation already joins an incoming invocation or
// delivery to the caller's trace, and this file adds dapr.* attributes to that server span, plus
// a CONSUMER span around each pub/sub and input-binding handler (the SDK swallows a pub/sub
// handler's error, so without it a failure would leave no trace).
//
// gRPC (CommunicationProtocolEnum.GRPC, DaprGrpcClient/Server) is out of scope: nothing here
// patches it. Actors, workflows, configuration, locks, crypto and secrets are not covered.
//
// Owns: the prototypes of the SDK's HTTP implementation classes (implementation/Client/HTTPClient
// and implementation/Server/HTTPServer), wrapped with no change of behaviour. Must not touch the
// request the SDK builds (headers, body): context travels through the HTTP instrumentation.
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { warn } from '../errors.ts';
import { endOnSettle } from '../spans/settle.ts';
import { AGENT_VERSION } from '../version.ts';

const SUPPORTED = ['>=3 <4'];
const BASE = '@dapr/dapr/implementation';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
interface Described { name: string; kind: SpanKind; attributes: Attributes }
/** Span name, kind and attributes of one client call, from its arguments. */
type Describe = (args: unknown[]) => Described;

const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function op(operation: string, kind: SpanKind, name: string, attributes: Attributes): Described {
  return { name: `dapr ${operation} ${name}`, kind, attributes: { 'dapr.operation': operation, ...attributes } };
}

const state = (operation: string): Describe => ([store]) => op(operation, SpanKind.CLIENT, s(store), { 'dapr.component': s(store) });
const publish = (operation: string): Describe => ([pubsub, topic]) => op(operation, SpanKind.PRODUCER, `${s(pubsub)}/${s(topic)}`, {
  'dapr.component': s(pubsub), 'dapr.topic': s(topic),
  'messaging.system': 'dapr', 'messaging.destination.name': s(topic), 'messaging.operation.type': 'publish',
});

/** Client file → class methods → how each call is described. */
const CLIENT: Readonly<Record<string, Readonly<Record<string, Describe>>>> = {
  invoker: {
    invoke: ([appId, method, httpMethod]) => op('invoke', SpanKind.CLIENT, `${s(appId)}/${s(method)}`, {
      'dapr.app_id': s(appId), 'dapr.method': s(method), 'dapr.http_method': s(httpMethod).toUpperCase() || 'GET',
    }),
  },
  state: {
    save: state('state.save'), get: state('state.get'), getBulk: state('state.getBulk'),
    delete: state('state.delete'), transaction: state('state.transaction'), query: state('state.query'),
  },
  pubsub: { publish: publish('publish'), publishBulk: publish('publishBulk') },
  binding: {
    send: ([name, operation]) => op('binding.send', SpanKind.CLIENT, s(name), { 'dapr.component': s(name), 'dapr.binding.operation': s(operation) }),
  },
};

/** state.save/delete and publish report failure in their result instead of throwing. */
function failureOf(result: unknown): unknown {
  if (result === null || typeof result !== 'object') return undefined;
  const r = result as { error?: unknown; failedMessages?: unknown };
  if (r.error !== undefined) return r.error;
  if (Array.isArray(r.failedMessages) && r.failedMessages.length > 0) return new Error(`${r.failedMessages.length} messages failed to publish`);
  return undefined;
}

/** The server span of the request being handled (set by the HTTP instrumentation), else the active one. */
function serverSpan(): Span | undefined {
  return getRPCMetadata(context.active())?.span ?? trace.getActiveSpan();
}

export class DaprInstrumentation extends InstrumentationBase {
  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-dapr', AGENT_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    // @dapr/dapr is CommonJS only and requires these files itself, so the hooks see them
    // whether the app imports or requires the package.
    const files = Object.entries(CLIENT).map(([file, methods]) => this.fileHook(`Client/HTTPClient/${file}.js`, (proto) => {
      for (const [method, describe] of Object.entries(methods)) this.wrapMethod(proto, method, (original) => this.clientCall(original, describe));
    }, Object.keys(methods)));
    files.push(
      this.fileHook('Server/HTTPServer/invoker.js', (proto) => this.wrapMethod(proto, 'listen', (original) => serverListen(original)), ['listen']),
      this.fileHook('Server/HTTPServer/HTTPServerImpl.js', (proto) => this.wrapMethod(proto, 'registerPubSubSubscriptionEventHandler', (original) => this.subscribe(original)), ['registerPubSubSubscriptionEventHandler']),
      this.fileHook('Server/HTTPServer/binding.js', (proto) => this.wrapMethod(proto, 'receive', (original) => this.receive(original)), ['receive']),
    );
    return [new InstrumentationNodeModuleDefinition('@dapr/dapr', SUPPORTED, undefined, undefined, files)];
  }

  private fileHook(path: string, patch: (proto: Record<string, unknown>) => void, methods: string[]): InstrumentationNodeModuleFile {
    const protoOf = (exports: unknown): Record<string, unknown> | undefined =>
      (exports as { default?: { prototype?: Record<string, unknown> } } | undefined)?.default?.prototype;
    return new InstrumentationNodeModuleFile(`${BASE}/${path}`, SUPPORTED, (exports: unknown) => {
      try {
        const proto = protoOf(exports);
        if (proto !== undefined) patch(proto);
      } catch (error) {
        warn('BUDOBSERVE_INSTRUMENTATION_FAILED', `@dapr/dapr: ${path} could not be instrumented; it runs untraced`, { cause: error, once: `dapr-${path}` });
      }
      return exports;
    }, (exports: unknown) => {
      const proto = protoOf(exports);
      if (proto !== undefined) for (const m of methods) this._unwrap(proto, m);
    });
  }

  private wrapMethod(proto: Record<string, unknown>, method: string, make: (original: Fn) => Fn): void {
    if (typeof proto[method] === 'function') this._wrap(proto, method, (original: unknown) => make(original as Fn));
  }

  private clientCall(original: Fn, describe: Describe): Fn {
    const instrumentation = this;
    return function daprClientCall(this: unknown, ...args: unknown[]): unknown {
      let span: Span;
      try {
        const d = describe(args);
        span = instrumentation.tracer.startSpan(d.name, { kind: d.kind, attributes: d.attributes });
      } catch {
        return original.apply(this, args);
      }
      return endOnSettle(span, () => original.apply(this, args), { context: trace.setSpan(context.active(), span), failureOf });
    };
  }

  /** registerPubSubSubscriptionEventHandler(pubsub, topic, route, cb): every pub/sub handler. */
  private subscribe(original: Fn): Fn {
    const instrumentation = this;
    return function registerPubSubSubscriptionEventHandler(this: unknown, ...args: unknown[]): unknown {
      const [pubsub, topic, , cb] = args;
      if (typeof cb === 'function') {
        args[3] = instrumentation.consumer(cb as Fn, `dapr process ${s(pubsub)}/${s(topic)}`, {
          'dapr.operation': 'subscribe', 'dapr.component': s(pubsub), 'dapr.topic': s(topic),
          'messaging.system': 'dapr', 'messaging.destination.name': s(topic), 'messaging.operation.type': 'process',
        });
      }
      return original.apply(this, args);
    };
  }

  /** receive(bindingName, cb): an input binding's handler. */
  private receive(original: Fn): Fn {
    const instrumentation = this;
    return function receive(this: unknown, ...args: unknown[]): unknown {
      const [name, cb] = args;
      if (typeof cb === 'function') {
        args[1] = instrumentation.consumer(cb as Fn, `dapr binding.receive ${s(name)}`, { 'dapr.operation': 'binding.receive', 'dapr.component': s(name) });
      }
      return original.apply(this, args);
    };
  }

  /** A handler wrapped in a CONSUMER span, child of the request that delivered it. */
  private consumer(cb: Fn, name: string, attributes: Attributes): Fn {
    const instrumentation = this;
    return function daprHandler(this: unknown, ...args: unknown[]): unknown {
      let span: Span;
      try {
        serverSpan()?.setAttributes(attributes);
        // The delivering request's context; a handler called outside one starts no orphan trace.
        const parent = context.active();
        if (trace.getSpan(parent) === undefined && parent === ROOT_CONTEXT) return cb.apply(this, args);
        span = instrumentation.tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parent);
      } catch {
        return cb.apply(this, args);
      }
      return endOnSettle(span, () => cb.apply(this, args), { context: trace.setSpan(context.active(), span) });
    };
  }
}

/** invoker.listen(method, cb, options): dapr.* on the server span of each invocation. */
function serverListen(original: Fn): Fn {
  return function listen(this: unknown, ...args: unknown[]): unknown {
    const [method, cb] = args;
    if (typeof cb === 'function') {
      args[1] = function daprInvocation(this: unknown, ...cbArgs: unknown[]): unknown {
        try {
          const headers = (cbArgs[0] as { headers?: Record<string, unknown> } | undefined)?.headers;
          const attributes: Attributes = { 'dapr.operation': 'invoke', 'dapr.method': s(method) };
          const caller = headers?.['dapr-caller-app-id'];
          if (typeof caller === 'string') attributes['dapr.caller.app_id'] = caller;
          const callee = headers?.['dapr-callee-app-id'];
          if (typeof callee === 'string') attributes['dapr.app_id'] = callee;
          serverSpan()?.setAttributes(attributes);
        } catch { /* attributes are best effort */ }
        return (cb as Fn).apply(this, cbArgs);
      };
    }
    return original.apply(this, args);
  };
}
