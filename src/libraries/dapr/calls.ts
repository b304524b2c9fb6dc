// What a DaprClient call is, as a span, whichever protocol carries it: the SDK's HTTP and gRPC
// implementations (implementation/Client/HTTPClient/*.js, implementation/Client/GRPCClient/*.js)
// expose the same building-block methods with the same arguments, so one table names and
// describes the spans of both, and both hand their calls to src/libraries/dapr.ts. The
// attributes of what arrives at a DaprServer (an invocation, a pub/sub delivery, an input
// binding) are likewise one set for both protocols. Owns those tables and what counts as a
// failed call; must not start spans nor touch the SDK.
import { SpanKind } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';

export interface Described {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
}
/** Span name, kind and attributes of one client call, from its arguments. */
export type Describe = (args: unknown[]) => Described;

/** An argument as attribute text: strings and numbers as they are, anything else empty. */
export const s = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

function op(operation: string, kind: SpanKind, name: string, attributes: Attributes): Described {
  return { name: `dapr ${operation} ${name}`, kind, attributes: { 'dapr.operation': operation, ...attributes } };
}

const state =
  (operation: string): Describe =>
  ([store]) =>
    op(operation, SpanKind.CLIENT, s(store), { 'dapr.component': s(store) });
const publish =
  (operation: string): Describe =>
  ([pubsub, topic]) =>
    op(operation, SpanKind.PRODUCER, `${s(pubsub)}/${s(topic)}`, {
      'dapr.component': s(pubsub),
      'dapr.topic': s(topic),
      'messaging.system': 'dapr',
      'messaging.destination.name': s(topic),
      'messaging.operation.type': 'publish',
    });

/** Client file (the same name under HTTPClient/ and GRPCClient/) → class methods → how each call is described. */
export const CLIENT: Readonly<Record<string, Readonly<Record<string, Describe>>>> = {
  invoker: {
    invoke: ([appId, method, httpMethod]) =>
      op('invoke', SpanKind.CLIENT, `${s(appId)}/${s(method)}`, {
        'dapr.app_id': s(appId),
        'dapr.method': s(method),
        'dapr.http_method': s(httpMethod).toUpperCase() || 'GET',
      }),
  },
  state: {
    save: state('state.save'),
    get: state('state.get'),
    getBulk: state('state.getBulk'),
    delete: state('state.delete'),
    transaction: state('state.transaction'),
    query: state('state.query'),
  },
  pubsub: { publish: publish('publish'), publishBulk: publish('publishBulk') },
  binding: {
    send: ([name, operation]) =>
      op('binding.send', SpanKind.CLIENT, s(name), {
        'dapr.component': s(name),
        'dapr.binding.operation': s(operation),
      }),
  },
};

/** dapr.* of a service invocation arriving at the app (its server span), from daprd's dapr-caller-app-id / dapr-callee-app-id. */
export function invocation(method: unknown, caller: unknown, callee: unknown): Attributes {
  const attributes: Attributes = { 'dapr.operation': 'invoke', 'dapr.method': s(method) };
  if (typeof caller === 'string') attributes['dapr.caller.app_id'] = caller;
  if (typeof callee === 'string') attributes['dapr.app_id'] = callee;
  return attributes;
}

/** dapr.* and messaging.* of a pub/sub delivery: its handler's span and the request that carried it. */
export const subscription = (pubsub: unknown, topic: unknown): Attributes => ({
  'dapr.operation': 'subscribe',
  'dapr.component': s(pubsub),
  'dapr.topic': s(topic),
  'messaging.system': 'dapr',
  'messaging.destination.name': s(topic),
  'messaging.operation.type': 'process',
});

/** dapr.* of an input-binding event: its handler's span and the request that carried it. */
export const inputBinding = (name: unknown): Attributes => ({
  'dapr.operation': 'binding.receive',
  'dapr.component': s(name),
});

/** The failure a call's result stands for, if any: HTTP state.save/delete and publish report one in their result instead of throwing. */
export function failureOf(result: unknown): unknown {
  if (result === null || typeof result !== 'object') return undefined;
  const r = result as { error?: unknown; failedMessages?: unknown };
  if (r.error !== undefined) return r.error;
  if (Array.isArray(r.failedMessages) && r.failedMessages.length > 0)
    return new Error(`${r.failedMessages.length} messages failed to publish`);
  return undefined;
}

/** What to record for a rejection: gRPC publish rejects with `{ error }`, whose text alone would be "[object Object]". */
export function errorOf(rejection: unknown): unknown {
  if (rejection === null || typeof rejection !== 'object' || rejection instanceof Error) return rejection;
  return (rejection as { error?: unknown }).error ?? rejection;
}
