// BullMQ producer and worker spans through BullMQ's own telemetry interface (`opts.telemetry`,
// bullmq >= 5.2x): every Queue, Worker and FlowProducer the app builds without one gets Bud's
// Telemetry, injected on its first traced operation. BullMQ itself then stores the producer's
// trace context inside the job (`job.opts.telemetry.metadata`, W3C traceparent via the global
// propagator) and restores it when a worker picks the job up.
//
// PARENT, not link: the worker's `process` span is a CHILD of the producer's `add` span, in the
// same trace. One job is one message with one producer, so a parent keeps "one trace per
// request across the queue" — the request, the add, and each processing attempt (retries too)
// are one tree. That is also how BullMQ's own trace() wires a CONSUMER span. The cost, spelled
// out: a job processed hours later stretches its trace.
//
// Except for a job scheduler's runs: BullMQ adds each next run with the previous run's
// context, so every run of a schedule would join one trace that never ends. A scheduler's `add`
// therefore starts a trace of its own, LINKED to what scheduled it (the request that upserted
// the scheduler, or the previous run's `add`).
//
// Why not bullmq-otel's BullMQOtel: it forwards every operation as a span, so each worker emits
// INTERNAL getNextJob / stalled-checker spans (new root traces every few seconds), without
// messaging.* attributes, and a failed job never sets the span status. The Telemetry below keeps
// PRODUCER and CONSUMER operations only, maps BullMQ's attributes onto messaging semconv, and
// marks failed attempts as errors with the processor's exception.
//
// Owns: QueueBase#trace, FlowProducer#add/#addBulk, JobScheduler#upsertJobScheduler and
// Worker#handleFailed (wrapped, never changed in behaviour). Must not touch jobs' data nor a telemetry the app set itself.
import { context, createContextKey, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import {
  InstrumentationBase,
  InstrumentationNodeModuleDefinition,
  InstrumentationNodeModuleFile,
} from '@opentelemetry/instrumentation';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import { warn } from '../errors.ts';
import { recordFailure } from '../spans/failure.ts';
import { AGENT_VERSION } from '../version.ts';

const SUPPORTED = ['>=5 <7'];
/** On the fresh root context of a job scheduler's `add`: the span that scheduled it. */
const kScheduledBy = createContextKey('budobserve.bullmq.scheduledBy');
const activeSpanContext = (): SpanContext | undefined => trace.getSpanContext(context.active());
/** BullMQ's SpanKind enum has OTel's numbering: 3 PRODUCER, 4 CONSUMER. */
const BULL_PRODUCER = 3;
const BULL_CONSUMER = 4;

type Fn = (this: unknown, ...args: unknown[]) => unknown;
interface Proto {
  prototype: Record<string, unknown>;
}

/** BullMQ attribute → messaging semconv attribute (the BullMQ one is kept as well). */
const RENAMES: Readonly<Record<string, string>> = {
  'bullmq.queue.name': 'messaging.destination.name',
  'bullmq.queue.operation': 'messaging.operation.name',
  'bullmq.job.id': 'messaging.message.id',
  'bullmq.job.name': 'messaging.bullmq.job.name',
  'bullmq.job.attempts.made': 'messaging.bullmq.job.attempts',
  'bullmq.job.bulk.count': 'messaging.batch.message_count',
};

/** The span BullMQ holds: a real one for PRODUCER/CONSUMER work, an inert one otherwise. */
class BullSpan {
  readonly #span: Span | undefined;
  #queue: string | undefined;
  #operation: string | undefined;
  /** The processor's error, set by Worker#handleFailed before BullMQ adds its 'job failed' event. */
  failure: unknown;

  constructor(span: Span | undefined) {
    this.#span = span;
  }

  setSpanOnContext(ctx: Context): Context {
    // An inert span leaves the context as it is, so dropped INTERNAL operations never cut a trace.
    return this.#span === undefined ? ctx : trace.setSpan(ctx, this.#span);
  }

  setAttribute(key: string, value: AttributeValue | undefined): void {
    this.setAttributes({ [key]: value });
  }

  setAttributes(attributes: Record<string, AttributeValue | undefined>): void {
    const span = this.#span;
    if (span === undefined) return;
    const out: Attributes = {};
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      out[key] = value;
      const renamed = RENAMES[key];
      if (renamed !== undefined) out[renamed] = key === 'bullmq.job.id' ? String(value) : value;
      if (key === 'bullmq.queue.name' && typeof value === 'string' && value !== '') this.#queue = value;
      if (key === 'bullmq.queue.operation' && typeof value === 'string') this.#operation = value;
    }
    span.setAttributes(out);
    if (this.#queue !== undefined && this.#operation !== undefined)
      span.updateName(`${this.#operation} ${this.#queue}`);
  }

  addEvent(name: string, attributes?: Record<string, AttributeValue | undefined>): void {
    const span = this.#span;
    if (span === undefined) return;
    // BullMQ's reason is the failure's message; the failure itself carries its type and stack.
    if (name === 'job failed') recordFailure(span, this.failure ?? attributes?.['bullmq.job.failed.reason']);
    // The job's return value stays out of telemetry: it is app data of any size.
    const { ['bullmq.job.result']: _result, ...rest } = attributes ?? {};
    span.addEvent(name, rest);
  }

  recordException(exception: Error | string, time?: number): void {
    if (this.#span !== undefined) recordFailure(this.#span, exception, { time });
  }

  end(): void {
    this.#span?.end();
  }
}

const inert = new BullSpan(undefined);

/** A copy of a flow node tree in which every node has `opts`. */
function withOpts(node: unknown): unknown {
  if (node === null || typeof node !== 'object') return node;
  const n = node as { opts?: unknown; children?: unknown };
  return { ...n, opts: n.opts ?? {}, ...(Array.isArray(n.children) ? { children: n.children.map(withOpts) } : {}) };
}

/** BullMQ's `Telemetry` interface (tracer + contextManager), on the agent's tracer. */
export class BudBullTelemetry {
  readonly tracer: { startSpan(name: string, options?: { kind: number }, ctx?: Context): BullSpan };
  readonly contextManager = {
    with: <R>(ctx: Context, fn: () => R): R => context.with(ctx, fn),
    active: (): Context => context.active(),
    root: (): Context => ROOT_CONTEXT,
    getMetadata: (ctx: Context): string => {
      const carrier: Record<string, string> = {};
      propagation.inject(ctx, carrier);
      return JSON.stringify(carrier);
    },
    fromMetadata: (active: Context, metadata: string): Context => {
      try {
        const carrier: unknown = JSON.parse(metadata);
        return carrier !== null && typeof carrier === 'object' ? propagation.extract(active, carrier) : active;
      } catch {
        return active; // metadata from another telemetry implementation: start afresh
      }
    },
  };

  constructor(getTracer: () => Tracer) {
    this.tracer = {
      startSpan(name, options, ctx) {
        const kind = options?.kind;
        if (kind !== BULL_PRODUCER && kind !== BULL_CONSUMER) return inert;
        const parent = ctx ?? context.active();
        const scheduledBy =
          trace.getSpan(parent) === undefined ? (parent.getValue(kScheduledBy) as SpanContext | undefined) : undefined;
        const links: Link[] = scheduledBy === undefined ? [] : [{ context: scheduledBy }];
        const span = getTracer().startSpan(
          name,
          {
            kind: kind === BULL_PRODUCER ? SpanKind.PRODUCER : SpanKind.CONSUMER,
            attributes: {
              'messaging.system': 'bullmq',
              'messaging.operation.type': kind === BULL_PRODUCER ? 'publish' : 'process',
            },
            links,
          },
          parent,
        );
        return new BullSpan(span);
      },
    };
  }
}

export class BullMQInstrumentation extends InstrumentationBase {
  readonly #telemetry = new BudBullTelemetry(() => this.tracer);

  constructor(config: InstrumentationConfig = {}) {
    super('@budobserve/instrumentation-bullmq', AGENT_VERSION, config);
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    // Node resolves `import 'bullmq'` and `require('bullmq')` alike to dist/cjs (the package
    // has no "exports"; "module" is for bundlers), and BullMQ requires its classes from there.
    // The dist/esm files are hooked too, for apps that import them by path.
    const files = ['cjs', 'esm'].flatMap((flavour) => [
      new InstrumentationNodeModuleFile(
        `bullmq/dist/${flavour}/classes/queue-base.js`,
        SUPPORTED,
        (exports: Record<string, unknown>) => this.#patch(exports, 'QueueBase', ['trace']),
        (exports: Record<string, unknown>) => this.#unpatch(exports, 'QueueBase', ['trace']),
      ),
      new InstrumentationNodeModuleFile(
        `bullmq/dist/${flavour}/classes/flow-producer.js`,
        SUPPORTED,
        (exports: Record<string, unknown>) => this.#patch(exports, 'FlowProducer', ['add', 'addBulk']),
        (exports: Record<string, unknown>) => this.#unpatch(exports, 'FlowProducer', ['add', 'addBulk']),
      ),
      new InstrumentationNodeModuleFile(
        `bullmq/dist/${flavour}/classes/job-scheduler.js`,
        SUPPORTED,
        (exports: Record<string, unknown>) => this.#patch(exports, 'JobScheduler', ['upsertJobScheduler']),
        (exports: Record<string, unknown>) => this.#unpatch(exports, 'JobScheduler', ['upsertJobScheduler']),
      ),
      new InstrumentationNodeModuleFile(
        `bullmq/dist/${flavour}/classes/worker.js`,
        SUPPORTED,
        (exports: Record<string, unknown>) => this.#patch(exports, 'Worker', ['handleFailed']),
        (exports: Record<string, unknown>) => this.#unpatch(exports, 'Worker', ['handleFailed']),
      ),
    ]);
    return [new InstrumentationNodeModuleDefinition('bullmq', SUPPORTED, undefined, undefined, files)];
  }

  #patch(exports: Record<string, unknown>, className: string, methods: string[]): Record<string, unknown> {
    try {
      const proto = (exports[className] as Proto | undefined)?.prototype;
      if (proto === undefined) return exports;
      for (const method of methods) {
        if (typeof proto[method] !== 'function') continue;
        this._wrap(proto, method, (original: unknown) => this.#wrapper(className, original as Fn));
      }
    } catch (error) {
      warn('BUDOBSERVE_INSTRUMENTATION_FAILED', 'patch', ['bullmq', className], {
        cause: error,
        once: `bullmq-${className}`,
      });
    }
    return exports;
  }

  #unpatch(exports: Record<string, unknown>, className: string, methods: string[]): void {
    const proto = (exports[className] as Proto | undefined)?.prototype;
    if (proto !== undefined) for (const method of methods) this._unwrap(proto, method);
  }

  #wrapper(className: string, original: Fn): Fn {
    const telemetry = this.#telemetry;
    if (className === 'JobScheduler') {
      // upsertJobScheduler(id, repeat, name, data, opts, …): a worker adds a schedule's next
      // run with the previous run's job opts, whose context (telemetry.metadata) BullMQ prefers
      // to that of the new `add` span, so every run would join the first one's trace. The
      // metadata goes from a copy of the opts, and the run that carried it is made the active
      // span context, which the scheduler's `add` then links to (trace() below).
      return function upsertJobScheduler(this: unknown, ...args: unknown[]): unknown {
        let from: Context | undefined;
        try {
          const own = (this as { opts?: { telemetry?: unknown } }).opts?.telemetry;
          const opts = args[4] as { telemetry?: { metadata?: unknown } } | undefined;
          const metadata = opts?.telemetry?.metadata;
          if ((own === undefined || own === telemetry) && typeof metadata === 'string') {
            const previous = trace.getSpanContext(telemetry.contextManager.fromMetadata(ROOT_CONTEXT, metadata));
            args[4] = { ...opts, telemetry: { ...opts!.telemetry, metadata: undefined } };
            from = previous === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, previous);
          }
        } catch {
          /* scheduled as BullMQ would */
        }
        return from === undefined ? original.apply(this, args) : context.with(from, () => original.apply(this, args));
      };
    }
    if (className === 'Worker') {
      // handleFailed(err, job, token, fetchNext, span): the processor's error reaches the span
      // only here; BullMQ then adds a 'job failed' event carrying just the message.
      return function handleFailed(this: unknown, ...args: unknown[]): unknown {
        const span = args[4];
        if (span instanceof BullSpan) span.failure = args[0];
        return original.apply(this, args);
      };
    }
    if (className === 'FlowProducer') {
      // add(flow, opts) / addBulk(flows). BullMQ stores the context in a flow's job only when
      // the node has `opts` (flow-producer addNode: `if (srcPropagationMetadata && opts)`), so
      // nodes without are given an empty one, on a copy: the app's flow objects stay as they were.
      return function flowProducerAdd(this: unknown, ...args: unknown[]): unknown {
        try {
          const self = this as { telemetry?: unknown };
          if (self.telemetry === undefined) self.telemetry = telemetry;
          if (self.telemetry === telemetry)
            args[0] = Array.isArray(args[0]) ? args[0].map(withOpts) : withOpts(args[0]);
        } catch {
          /* a frozen instance stays untraced */
        }
        return original.apply(this, args);
      };
    }
    // QueueBase#trace(kind, operation, destination, callback, metadata) reads this.opts.telemetry;
    // this.opts is the instance's own copy of the options, so the app's object is not touched.
    return function trace(this: unknown, ...args: unknown[]): unknown {
      let root: Context | undefined;
      try {
        const opts = (this as { opts?: { telemetry?: unknown } }).opts;
        if (opts !== undefined && opts !== null && opts.telemetry === undefined) opts.telemetry = telemetry;
        // A job scheduler adding its next run: a new trace, linked to what scheduled it.
        if (
          args[0] === BULL_PRODUCER &&
          (this as { constructor?: { name?: unknown } }).constructor?.name === 'JobScheduler' &&
          opts?.telemetry === telemetry
        ) {
          const by = activeSpanContext();
          root = by === undefined ? ROOT_CONTEXT : ROOT_CONTEXT.setValue(kScheduledBy, by);
        }
      } catch {
        /* untraced, as without the agent */
      }
      return root === undefined ? original.apply(this, args) : context.with(root, () => original.apply(this, args));
    };
  }
}
