// Bud's additions to the options of the job-queue instrumentations (amqplib).
// Owns these option hooks; must not load any instrumentation. The user's own options win, and
// the user's hooks run after Bud's.
//
// amqplib 0.71 writes only the obsolete messaging names (messaging.destination = exchange,
// messaging.rabbitmq.routing_key, messaging.operation on the consumer) with no stable-semconv
// opt-in, so a user filtering on messaging.destination.name or messaging.operation.type finds
// nothing. Bud adds those; the instrumentation's own attributes and span names stay as they are.
import type { Enricher, Options } from './types.ts';
import { chainHooks } from './chain-hooks.ts';

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * messaging.destination.name as the RabbitMQ semconv spells it: `{exchange}:{routing key}` on
 * publish, `{exchange}:{routing key}:{queue}` on consume; empty parts (the default exchange)
 * left out, a routing key equal to the queue written once, and `amq.default` when nothing is left.
 */
function destination(exchange: unknown, routingKey: unknown, queue?: string): string {
  const key = str(routingKey);
  const parts = [str(exchange), queue !== undefined && key === queue ? '' : key, queue ?? ''].filter((p) => p !== '');
  return parts.length === 0 ? 'amq.default' : parts.join(':');
}

function enrichAmqplib(user: Options | undefined): Options {
  return {
    ...user,
    publishHook: chainHooks((span, info) => {
      const i = info as { exchange?: unknown; routingKey?: unknown } | undefined;
      span.setAttributes({
        'messaging.destination.name': destination(i?.exchange, i?.routingKey),
        'messaging.operation.type': 'publish',
        'messaging.operation.name': 'publish',
      });
      if (typeof i?.routingKey === 'string')
        span.setAttribute('messaging.rabbitmq.destination.routing_key', i.routingKey);
    }, user?.['publishHook']),
    consumeHook: chainHooks((span, info) => {
      const msg = (
        info as { msg?: { fields?: { exchange?: unknown; routingKey?: unknown; deliveryTag?: unknown } } } | undefined
      )?.msg;
      // The queue consumed from is only in the span's name (`<queue> process`): the hook is not given it.
      const name = (span as unknown as { name?: unknown }).name;
      const queue =
        typeof name === 'string' && name.endsWith(' process') ? name.slice(0, -' process'.length) : undefined;
      span.setAttributes({
        'messaging.destination.name': destination(msg?.fields?.exchange, msg?.fields?.routingKey, queue),
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
      });
      if (queue !== undefined) span.setAttribute('messaging.destination.subscription.name', queue);
      if (typeof msg?.fields?.routingKey === 'string')
        span.setAttribute('messaging.rabbitmq.destination.routing_key', msg.fields.routingKey);
      if (typeof msg?.fields?.deliveryTag === 'number')
        span.setAttribute('messaging.rabbitmq.message.delivery_tag', msg.fields.deliveryTag);
    }, user?.['consumeHook']),
  };
}

export const queueEnrichers: Readonly<Record<string, Enricher>> = { amqplib: enrichAmqplib };
