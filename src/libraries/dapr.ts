// Dapr spans for @dapr/dapr, over HTTP (CommunicationProtocolEnum.HTTP, the SDK's default) and
// over gRPC (CommunicationProtocolEnum.GRPC). DaprClient's service invocation, state, pub/sub and
// output bindings become CLIENT / PRODUCER spans (`dapr invoke app-b/checkout`, `dapr state.save
// statestore`, `dapr publish pubsub/orders`, `dapr binding.send queue-out`) with dapr.*
// attributes, named and described alike for both protocols (dapr/calls.ts). On a DaprServer,
// what the sidecar delivers (an invocation, a pub/sub event, an input-binding event) has a
// server span with dapr.* attributes, plus a CONSUMER span around each pub/sub and input-binding
// handler (the SDK swallows a pub/sub handler's error, so without it a failure would leave no
// trace). One request is one trace across the sidecar: the caller's context travels to daprd,
// which carries it on to the called app or the subscriber.
//
// Over HTTP, the SDK's own request to the sidecar (node-fetch over node:http) runs inside the
// Dapr span, so the HTTP instrumentation makes it a child and injects its traceparent; DaprServer
// runs Express, whose HTTP server span (joined to the caller by the HTTP instrumentation) gets the
// dapr.* attributes.
//
// Over gRPC, what carries the context depends on the SDK's transport (dapr/grpc.ts):
// - @dapr/dapr >= 3.17 speaks gRPC through ConnectRPC over node:http2, which no other
//   instrumentation sees: the Dapr span is the call's only CLIENT span and its context goes in
//   the call's `traceparent` metadata (dapr/grpc.ts adds it, and rpc.*); each AppCallback call
//   into a DaprServer is a SERVER span `grpc.dapr.proto.runtime.v1.AppCallback/OnInvoke` (…/
//   OnTopicEvent, …/OnBindingEvent) continuing the trace from daprd's metadata.
// - @dapr/dapr 3.0 - 3.6 used @grpc/grpc-js: the grpc instrumentation makes the CLIENT span under
//   the Dapr span and the SERVER span, and injects and extracts the context; only the Dapr
//   client and handler spans here apply, so nothing is injected twice (checked by hand with
//   3.6.1 and the test's fake sidecar; the tests run the devDependency, 3.18).
//
// Actors, workflows, configuration, locks, crypto, secrets, streaming subscriptions and bulk
// deliveries over gRPC are not covered.
//
// Owns: the prototypes of the SDK's implementation classes (implementation/Client/{HTTP,GRPC}Client
// and implementation/Server/{HTTP,GRPC}Server), wrapped with no change of behaviour. Must not
// touch the request the SDK builds (headers, body, messages): over HTTP context travels through
// the HTTP instrumentation, over gRPC only dapr/grpc.ts adds the trace metadata.
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import { getRPCMetadata } from '@opentelemetry/core';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { warn } from '../errors.ts';
import { recordFailure } from '../spans/failure.ts';
import { endOnSettle, onSettle } from '../spans/settle.ts';
import { AGENT_VERSION } from '../version.ts';
import { CLIENT, errorOf, failureOf, inputBinding, invocation, s, subscription } from './dapr/calls.ts';
import type { Describe } from './dapr/calls.ts';
import { APP_CALLBACKS, appCallback, callContext, clientGetter } from './dapr/grpc.ts';

const SUPPORTED = ['>=3 <4'];
/** The SDK's gRPC implementation on ConnectRPC (see dapr/grpc.ts); before it, @grpc/grpc-js. */
const CONNECT = ['>=3.17 <4'];
const BASE = '@dapr/dapr/implementation';

type Fn = (this: unknown, ...args: unknown[]) => unknown;
/** Method name → the wrapper it gets, from the original. */
type Wrappers = Readonly<Record<string, (original: Fn) => Fn>>;

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
    const files: InstrumentationNodeModuleFile[] = [];
    for (const protocol of ['HTTPClient', 'GRPCClient']) {
      for (const [file, methods] of Object.entries(CLIENT)) {
        const wrappers: Record<string, (original: Fn) => Fn> = {};
        for (const [method, describe] of Object.entries(methods))
          wrappers[method] = (original) => this.clientCall(original, describe);
        files.push(this.fileHook(`Client/${protocol}/${file}.js`, wrappers));
      }
    }
    const callbacks: Record<string, (original: Fn) => Fn> = {};
    for (const method of Object.keys(APP_CALLBACKS))
      callbacks[method] = (original) => appCallback(this.tracer, method, original);
    files.push(
      this.fileHook('Server/HTTPServer/invoker.js', { listen: serverListen }),
      this.fileHook('Server/HTTPServer/HTTPServerImpl.js', {
        registerPubSubSubscriptionEventHandler: (original) => this.subscribe(original),
      }),
      this.fileHook('Server/HTTPServer/binding.js', { receive: (original) => this.receive(original) }),
      this.fileHook('Client/GRPCClient/GRPCClient.js', { getClient: clientGetter }, CONNECT),
      this.fileHook('Server/GRPCServer/GRPCServerImpl.js', {
        registerPubSubSubscriptionEventHandler: (original) => this.subscribe(original),
        registerInputBindingHandler: (original) => this.receive(original),
      }),
      this.fileHook('Server/GRPCServer/GRPCServerImpl.js', callbacks, CONNECT),
    );
    return [new InstrumentationNodeModuleDefinition('@dapr/dapr', SUPPORTED, undefined, undefined, files)];
  }

  /** Wraps `wrappers`' methods on the prototype of the class `path` exports as default. */
  private fileHook(path: string, wrappers: Wrappers, versions: string[] = SUPPORTED): InstrumentationNodeModuleFile {
    const protoOf = (exports: unknown): Record<string, unknown> | undefined =>
      (exports as { default?: { prototype?: Record<string, unknown> } } | undefined)?.default?.prototype;
    return new InstrumentationNodeModuleFile(
      `${BASE}/${path}`,
      versions,
      (exports: unknown) => {
        try {
          const proto = protoOf(exports);
          if (proto !== undefined) {
            for (const [method, make] of Object.entries(wrappers)) {
              if (typeof proto[method] === 'function')
                this._wrap(proto, method, (original: unknown) => make(original as Fn));
            }
          }
        } catch (error) {
          warn('BUDOBSERVE_INSTRUMENTATION_FAILED', 'patch', ['@dapr/dapr', path], {
            cause: error,
            once: `dapr-${path}`,
          });
        }
        return exports;
      },
      (exports: unknown) => {
        const proto = protoOf(exports);
        if (proto !== undefined) for (const method of Object.keys(wrappers)) this._unwrap(proto, method);
      },
    );
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
      // endOnSettle, with the SDK's `{ error }` rejections unwrapped (errorOf).
      return onSettle(() => context.with(callContext(context.active(), span), () => original.apply(this, args)), {
        value(value) {
          const failure = failureOf(value);
          if (failure !== undefined) recordFailure(span, failure);
          span.end();
        },
        error(error) {
          recordFailure(span, errorOf(error));
          span.end();
        },
      });
    };
  }

  /** registerPubSubSubscriptionEventHandler(pubsub, topic, route, cb): every pub/sub handler. */
  private subscribe(original: Fn): Fn {
    const instrumentation = this;
    return function registerPubSubSubscriptionEventHandler(this: unknown, ...args: unknown[]): unknown {
      const [pubsub, topic, , cb] = args;
      if (typeof cb === 'function')
        args[3] = instrumentation.consumer(
          cb as Fn,
          `dapr process ${s(pubsub)}/${s(topic)}`,
          subscription(pubsub, topic),
        );
      return original.apply(this, args);
    };
  }

  /** receive(bindingName, cb) over HTTP, registerInputBindingHandler(bindingName, cb) over gRPC: an input binding's handler. */
  private receive(original: Fn): Fn {
    const instrumentation = this;
    return function receive(this: unknown, ...args: unknown[]): unknown {
      const [name, cb] = args;
      if (typeof cb === 'function')
        args[1] = instrumentation.consumer(cb as Fn, `dapr binding.receive ${s(name)}`, inputBinding(name));
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

/** invoker.listen(method, cb, options) over HTTP: dapr.* on the server span of each invocation. */
function serverListen(original: Fn): Fn {
  return function listen(this: unknown, ...args: unknown[]): unknown {
    const [method, cb] = args;
    if (typeof cb === 'function') {
      args[1] = function daprInvocation(this: unknown, ...cbArgs: unknown[]): unknown {
        try {
          const headers = (cbArgs[0] as { headers?: Record<string, unknown> } | undefined)?.headers;
          serverSpan()?.setAttributes(
            invocation(method, headers?.['dapr-caller-app-id'], headers?.['dapr-callee-app-id']),
          );
        } catch {
          /* attributes are best effort */
        }
        return (cb as Fn).apply(this, cbArgs);
      };
    }
    return original.apply(this, args);
  };
}
