// The transport half of Dapr over gRPC for @dapr/dapr >= 3.17, whose gRPC implementation runs on
// ConnectRPC (@connectrpc/connect-node over node:http2), not on @grpc/grpc-js: the catalog's
// grpc instrumentation patches @grpc/grpc-js only, and the http instrumentation does not see
// node:http2, so nothing else traces these calls or carries their context. This file does, for
// the SDK's two ends only, what a gRPC instrumentation would:
// - client: every call of the SDK's Dapr client (implementation/Client/GRPCClient) sends the
//   active context as W3C `traceparent` / `tracestate` metadata, through the global propagator.
//   daprd reads `grpc-trace-bin` first and falls back to `traceparent`, so W3C is enough, and no
//   second propagation format is invented. The Dapr span is the call's CLIENT span (there is no
//   transport span under it, unlike HTTP), so its id is the one daprd continues; it gets rpc.*.
// - server: each AppCallback call daprd makes into the app (OnInvoke, OnTopicEvent,
//   OnBindingEvent on implementation/Server/GRPCServer/GRPCServerImpl) is a SERVER span named
//   as the grpc instrumentation names its own (`grpc.dapr.proto.runtime.v1.AppCallback/OnInvoke`),
//   continuing the trace from the incoming metadata (`traceparent`, else `grpc-trace-bin`, which
//   is all older daprd releases send), with the dapr.* attributes the HTTP server span gets.
//   ListTopicSubscriptions, ListInputBindings and HealthCheck, which daprd asks on its own
//   schedule and which run no app code, stay untraced, as do bulk deliveries (AppCallbackAlpha).
// On @dapr/dapr 3.0 - 3.6 (gRPC on @grpc/grpc-js) none of this is hooked: the grpc
// instrumentation makes those spans and carries the context, and dapr.ts adds its own spans.
//
// Owns: the methods of the SDK's ConnectRPC client object (wrapped in place, once per client),
// and the wrappers of GRPCServerImpl's AppCallback methods. Must not change a request or a
// message beyond adding the trace metadata, nor a response.
import {
  context,
  createContextKey,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext, TextMapGetter, Tracer } from '@opentelemetry/api';
import { recordFailure } from '../../spans/failure.ts';
import { onSettle } from '../../spans/settle.ts';
import { inputBinding, invocation, s, subscription } from './calls.ts';

type Fn = (this: unknown, ...args: unknown[]) => unknown;

const DAPR = 'dapr.proto.runtime.v1.Dapr';
const APP_CALLBACK = 'dapr.proto.runtime.v1.AppCallback';
/** gRPC's UNKNOWN: the status of a failure that carries no code of its own. */
const UNKNOWN = 2;

/** On the context a Dapr client span runs its call in: that span, so the RPC under it can describe itself on it. */
const kCall = createContextKey('budobserve.dapr.call');

/** The context a Dapr client call runs in: its span, marked as the one its RPC belongs to. */
export function callContext(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span).setValue(kCall, span);
}

/** protobuf-es names a method `invokeService` on the client for the rpc `InvokeService`. */
const rpcName = (localName: string): string => localName.charAt(0).toUpperCase() + localName.slice(1);
const statusOf = (error: unknown): number => {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'number' ? code : UNKNOWN;
};

// ---- client --------------------------------------------------------------------------------

/** `options` of a ConnectRPC call with the context's trace headers added (the caller's own win). */
function withTraceHeaders(ctx: Context, options: unknown): unknown {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const keys = Object.keys(carrier);
  if (keys.length === 0) return options;
  const init = (options !== null && typeof options === 'object' ? options : {}) as {
    headers?: ConstructorParameters<typeof Headers>[0];
  };
  const headers = new Headers(init.headers);
  for (const key of keys) if (!headers.has(key)) headers.set(key, carrier[key] ?? '');
  return { ...init, headers };
}

/** One method of the ConnectRPC client, `(request, options?)` for every kind of call. */
function rpcCall(original: Fn, localName: string, peer: Attributes): Fn {
  const rpc: Attributes = { 'rpc.system': 'grpc', 'rpc.service': DAPR, 'rpc.method': rpcName(localName), ...peer };
  return function daprRpc(this: unknown, ...args: unknown[]): unknown {
    try {
      const ctx = context.active();
      const span = ctx.getValue(kCall) as Span | undefined;
      // Only the Dapr span directly above: a span the app opened in between is not this call.
      if (span !== undefined && trace.getSpan(ctx) === span) span.setAttributes(rpc);
      const options = withTraceHeaders(ctx, args[1]);
      if (options !== args[1]) args[1] = options;
    } catch {
      /* the call goes out as the SDK made it */
    }
    return original.apply(this, args);
  };
}

const carrying = new WeakSet<object>();

/**
 * GRPCClient#getClient: before handing out its ConnectRPC client (the `client` field, built in
 * the constructor), makes that client's methods carry the trace context; once per client.
 */
export function clientGetter(original: Fn): Fn {
  return function getClient(this: unknown, ...args: unknown[]): unknown {
    try {
      const self = this as { client?: unknown; options?: { daprHost?: unknown; daprPort?: unknown } } | null;
      const client = self?.client;
      if (client !== null && typeof client === 'object' && !carrying.has(client)) {
        carrying.add(client);
        const peer: Attributes = { 'server.address': s(self?.options?.daprHost) };
        const port = Number(self?.options?.daprPort);
        if (Number.isInteger(port)) peer['server.port'] = port;
        const methods = client as Record<string, unknown>;
        for (const [name, method] of Object.entries(methods)) {
          if (typeof method === 'function') methods[name] = rpcCall(method as Fn, name, peer);
        }
      }
    } catch {
      /* calls go out without trace metadata */
    }
    return original.apply(this, args);
  };
}

// ---- server --------------------------------------------------------------------------------

const HEADERS: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** OpenCensus binary trace context (`grpc-trace-bin`, base64 on the wire): version 0, then fields 0 trace id, 1 span id, 2 options. */
function fromTraceBin(value: string): SpanContext | undefined {
  const b = Buffer.from(value, 'base64');
  if (b.length < 29 || b[0] !== 0 || b[1] !== 0 || b[18] !== 1 || b[27] !== 2) return undefined;
  const sc: SpanContext = {
    traceId: b.toString('hex', 2, 18),
    spanId: b.toString('hex', 19, 27),
    traceFlags: (b[28] ?? 0) & 1,
    isRemote: true,
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/** The caller's context from daprd's metadata: traceparent (+ tracestate, baggage) by the global propagator, else grpc-trace-bin. */
function incoming(headers: Headers | undefined): Context {
  if (headers === undefined) return ROOT_CONTEXT;
  const ctx = propagation.extract(ROOT_CONTEXT, headers, HEADERS);
  if (trace.getSpanContext(ctx) !== undefined) return ctx;
  const bin = headers.get('grpc-trace-bin');
  const sc = bin === null ? undefined : fromTraceBin(bin);
  return sc === undefined ? ctx : trace.setSpanContext(ctx, sc);
}

type Request = Record<string, unknown> | undefined;
/** GRPCServerImpl's AppCallback methods → the dapr.* of their request. */
export const APP_CALLBACKS: Readonly<Record<string, (request: Request, headers: Headers | undefined) => Attributes>> = {
  onInvoke: (r, h) =>
    invocation(r?.['method'], h?.get('dapr-caller-app-id') ?? undefined, h?.get('dapr-callee-app-id') ?? undefined),
  onTopicEvent: (r) => subscription(r?.['pubsubName'], r?.['topic']),
  onBindingEvent: (r) => inputBinding(r?.['name']),
};

/** GRPCServerImpl#<localName>(request, handlerContext): one AppCallback call, as a SERVER span. */
export function appCallback(tracer: Tracer, localName: string, original: Fn): Fn {
  const method = rpcName(localName);
  const describe = APP_CALLBACKS[localName];
  return function appCallbackCall(this: unknown, ...args: unknown[]): unknown {
    let span: Span;
    let ctx: Context;
    try {
      const [request, call] = args;
      const header = (call as { requestHeader?: unknown } | null | undefined)?.requestHeader;
      const headers = header instanceof Headers ? header : undefined;
      const parent = incoming(headers);
      span = tracer.startSpan(
        `grpc.${APP_CALLBACK}/${method}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'rpc.system': 'grpc',
            'rpc.service': APP_CALLBACK,
            'rpc.method': method,
            ...describe?.(request as Request, headers),
          },
        },
        parent,
      );
      ctx = trace.setSpan(parent, span);
    } catch {
      return original.apply(this, args);
    }
    // endOnSettle, plus the status code the call ends with.
    return onSettle(() => context.with(ctx, () => original.apply(this, args)), {
      value() {
        span.setAttribute('rpc.grpc.status_code', 0);
        span.end();
      },
      error(error) {
        span.setAttribute('rpc.grpc.status_code', statusOf(error));
        recordFailure(span, error);
        span.end();
      },
    });
  };
}
