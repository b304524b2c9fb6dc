// The Logfire-style API: spans with message templates, log-spans at Logfire's levels, tags,
// exceptions, metrics and function instrumentation, all on the global OpenTelemetry API so
// that they nest with library and auto-traced spans in one context. Works whether or not
// the agent was preloaded (see pending.ts). Owns the API's span shape; must not touch the
// SDK or the exporters.
import { context, ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, ContextManagementToken, Link, Span, SpanKind, Tracer } from '@opentelemetry/api';
import { formatMessage, toAttributes } from './template.ts';
import { levelNumber } from '../levels.ts';
import type { LevelName } from '../levels.ts';
import { flushPending, meterOf, PendingSpan, ProxyInstrument, sdkReady, startPending, withPending } from './pending.ts';
import type { InstrumentKind } from './pending.ts';
import { instrumentFunction } from './instrument.ts';
import type { InstrumentOptions } from './instrument.ts';
import { recordFailure } from '../spans/failure.ts';
import { endOnSettle } from '../spans/settle.ts';
import { runningAgent as agent } from '../agent-global.ts';
import { AGENT_VERSION } from '../version.ts';
import { ATTR_MSG_TEMPLATE, ATTR_MSG, ATTR_SPAN_TYPE, ATTR_LEVEL_NUM, ATTR_TAGS } from '../attributes.ts';

export interface SpanOptions {
  level?: LevelName;
  tags?: string[];
  kind?: SpanKind;
  links?: Link[];
  /** Start a new trace instead of a child of the active span. */
  newTrace?: boolean;
}

export interface BudSettings {
  /** Tags (logfire.tags) on every span and log this instance makes. */
  tags?: string[];
  /** Instrumentation scope name of its spans. Default: 'budobserve'. */
  scope?: string;
  /** Log-spans below this level are dropped (besides the configured minLevel). */
  minLevel?: LevelName;
}

type Attrs = Record<string, unknown>;
type SpanFn<T> = (span: BudSpan) => T;

/** A span of the API: `span.end()`, or `using span = bud.span(...)` to end it with the block. */
export class BudSpan {
  readonly #token: ContextManagementToken | undefined;
  #ended = false;

  constructor(
    readonly span: Span,
    readonly message: string,
    token?: ContextManagementToken,
  ) {
    this.#token = token;
  }

  setAttribute(key: string, value: unknown): this {
    this.span.setAttributes(toAttributes({ [key]: value }));
    return this;
  }

  setAttributes(values: Attrs): this {
    this.span.setAttributes(toAttributes(values));
    return this;
  }

  addEvent(name: string, attributes?: Attrs): this {
    this.span.addEvent(name, attributes === undefined ? undefined : toAttributes(attributes));
    return this;
  }

  recordException(error: unknown): this {
    recordFailure(this.span, error);
    return this;
  }

  isRecording(): boolean {
    return this.span.isRecording();
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#token?.dispose();
    this.span.end();
  }

  [Symbol.dispose](): void {
    this.end();
  }
}

export class BudObserve {
  readonly #settings: Required<Pick<BudSettings, 'tags' | 'scope'>> & Pick<BudSettings, 'minLevel'>;
  #tracer: Tracer | undefined;

  constructor(settings: BudSettings = {}) {
    this.#settings = {
      tags: settings.tags ?? [],
      scope: settings.scope ?? 'budobserve',
      ...(settings.minLevel === undefined ? {} : { minLevel: settings.minLevel }),
    };
  }

  #getTracer = (): Tracer => (this.#tracer ??= trace.getTracer(this.#settings.scope, AGENT_VERSION));

  #attributes(
    template: string,
    values: Attrs,
    type: 'span' | 'log',
    level: LevelName | undefined,
    tags: string[] | undefined,
  ): Attributes {
    const out = toAttributes(values);
    out[ATTR_MSG_TEMPLATE] = template;
    out[ATTR_MSG] = formatMessage(template, values);
    out[ATTR_SPAN_TYPE] = type;
    if (level !== undefined) out[ATTR_LEVEL_NUM] = levelNumber(level);
    const configured = agent()?.config.tags ?? [];
    if (this.#settings.tags.length + configured.length + (tags?.length ?? 0) > 0)
      out[ATTR_TAGS] = [...new Set([...configured, ...this.#settings.tags, ...(tags ?? [])])];
    return out;
  }

  #start(
    template: string,
    attributes: Attributes,
    options: SpanOptions,
  ): { span: Span; ctx: ReturnType<typeof context.active> } {
    flushPending(this.#getTracer);
    if (!sdkReady()) {
      const span = startPending(template, attributes, options.kind, options.links, options.newTrace === true);
      return { span, ctx: ROOT_CONTEXT };
    }
    const parent = options.newTrace === true ? ROOT_CONTEXT : context.active();
    const span = this.#getTracer().startSpan(
      template,
      {
        attributes,
        ...(options.kind === undefined ? {} : { kind: options.kind }),
        ...(options.links === undefined ? {} : { links: options.links }),
      },
      parent,
    );
    return { span, ctx: trace.setSpan(parent, span) };
  }

  /**
   * A span named by its message template. With a callback (sync or async) the span covers
   * it, records a throw or rejection, and returns its result; without one, end it yourself
   * or declare it with `using`.
   */
  span<T>(template: string, fn: SpanFn<T>): T;
  span<T>(template: string, attributes: Attrs, fn: SpanFn<T>): T;
  span<T>(template: string, attributes: Attrs, options: SpanOptions, fn: SpanFn<T>): T;
  span(template: string, attributes?: Attrs, options?: SpanOptions): BudSpan;
  span<T>(template: string, a?: Attrs | SpanFn<T>, b?: SpanOptions | SpanFn<T>, c?: SpanFn<T>): T | BudSpan {
    const fn = typeof a === 'function' ? a : typeof b === 'function' ? b : c;
    const values = typeof a === 'object' && a !== null ? a : {};
    const options = typeof b === 'object' && b !== null ? b : {};
    const attributes = this.#attributes(template, values, 'span', options.level, options.tags);
    const { span, ctx } = this.#start(template, attributes, options);
    const message = attributes[ATTR_MSG] as string;
    if (fn === undefined) {
      return new BudSpan(span, message, span instanceof PendingSpan ? undefined : context.attach(ctx));
    }
    const bud = new BudSpan(span, message);
    const run = (): T => endOnSettle(span, () => fn(bud), { thenables: true });
    return span instanceof PendingSpan ? withPending(span, run) : context.with(ctx, run);
  }

  /** A log-span: a zero-length span with logfire.span_type 'log' at the given level. */
  log(level: LevelName, template: string, attributes: Attrs = {}, options: SpanOptions = {}): void {
    const num = levelNumber(level);
    const min = agent()?.config.minLevel;
    if (
      (min !== undefined && num < levelNumber(min)) ||
      (this.#settings.minLevel !== undefined && num < levelNumber(this.#settings.minLevel))
    )
      return;
    const { span } = this.#start(template, this.#attributes(template, attributes, 'log', level, options.tags), options);
    if (num >= levelNumber('error')) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  trace(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('trace', template, attributes, options);
  }
  debug(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('debug', template, attributes, options);
  }
  info(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('info', template, attributes, options);
  }
  notice(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('notice', template, attributes, options);
  }
  warn(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('warn', template, attributes, options);
  }
  error(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('error', template, attributes, options);
  }
  fatal(template: string, attributes?: Attrs, options?: SpanOptions): void {
    this.log('fatal', template, attributes, options);
  }

  /** An error-level log-span carrying the exception (type, message, stack). */
  exception(
    error: unknown,
    template = '{exception.type}: {exception.message}',
    attributes: Attrs = {},
    options: SpanOptions = {},
  ): void {
    const err = error instanceof Error ? error : new Error(String(error));
    const values = { ...attributes, 'exception.type': err.name, 'exception.message': err.message };
    const { span } = this.#start(template, this.#attributes(template, values, 'log', 'error', options.tags), options);
    recordFailure(span, error);
    span.end();
  }

  /** Wraps a function in a span; as a decorator, `@bud.instrument({ ... })` on a method. */
  instrument<F extends (...args: never[]) => unknown>(fn: F, options?: InstrumentOptions): F;
  instrument(
    options?: InstrumentOptions,
  ): <F extends (...args: never[]) => unknown>(method: F, context: ClassMethodDecoratorContext) => F;
  instrument<F extends (...args: never[]) => unknown>(
    a?: F | InstrumentOptions,
    b?: InstrumentOptions,
  ): F | ((method: F, context: ClassMethodDecoratorContext) => F) {
    if (typeof a === 'function') return instrumentFunction(this, a, b ?? {}, undefined);
    const options = a ?? {};
    return (method: F, ctx: ClassMethodDecoratorContext) => instrumentFunction(this, method, options, ctx);
  }

  #instrument(kind: InstrumentKind, name: string, options: { unit?: string; description?: string }): ProxyInstrument {
    return new ProxyInstrument(kind, name, options, meterOf(this.#settings.scope, AGENT_VERSION));
  }

  metricCounter(
    name: string,
    options: { unit?: string; description?: string } = {},
  ): { add(value: number, attributes?: Attributes): void } {
    const p = this.#instrument('counter', name, options);
    return { add: (value, attributes) => p.apply('add', value, attributes) };
  }

  metricUpDownCounter(
    name: string,
    options: { unit?: string; description?: string } = {},
  ): { add(value: number, attributes?: Attributes): void } {
    const p = this.#instrument('upDownCounter', name, options);
    return { add: (value, attributes) => p.apply('add', value, attributes) };
  }

  metricHistogram(
    name: string,
    options: { unit?: string; description?: string } = {},
  ): { record(value: number, attributes?: Attributes): void } {
    const p = this.#instrument('histogram', name, options);
    return { record: (value, attributes) => p.apply('record', value, attributes) };
  }

  metricGauge(
    name: string,
    options: { unit?: string; description?: string } = {},
  ): { record(value: number, attributes?: Attributes): void } {
    const p = this.#instrument('gauge', name, options);
    return { record: (value, attributes) => p.apply('record', value, attributes) };
  }

  /** A child instance whose spans and logs also carry these tags. */
  withTags(...tags: string[]): BudObserve {
    return new BudObserve({ ...this.#settings, tags: [...this.#settings.tags, ...tags] });
  }

  withSettings(settings: BudSettings): BudObserve {
    return new BudObserve({ ...this.#settings, ...settings, tags: [...this.#settings.tags, ...(settings.tags ?? [])] });
  }

  /** Exports everything finished so far; resolves within the shutdown bound. */
  forceFlush(): Promise<void> {
    flushPending(this.#getTracer);
    return agent()?.lifecycle.forceFlush() ?? Promise.resolve();
  }

  /** Flushes and stops the agent's SDK. Idempotent. */
  shutdown(): Promise<void> {
    return agent()?.lifecycle.shutdown() ?? Promise.resolve();
  }
}
