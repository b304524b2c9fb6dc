// `@budobserve/agent/testing`: capture the spans your code makes, in your own tests
// (node:test, Vitest, Jest), and compare them as stable JSON or a tree. Ids and times are
// replaced by small sequential numbers in the output, so snapshots do not change between
// runs. With the agent running (preloaded or configured), the capture listens on its
// pipeline; without it, the capture sets up a minimal in-memory SDK of its own.
// Owns test-time capture; must not change what the agent exports.
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { runningAgent } from '../agent-global.ts';

export interface SpanJSON {
  name: string;
  context: { trace_id: number; span_id: number };
  parent: { span_id: number } | null;
  start_time: number;
  end_time: number;
  attributes: Attributes;
  events?: Array<{ name: string; attributes: Attributes }>;
  status?: { code: number; message?: string };
}

export interface SpanTree {
  name: string;
  attributes: Attributes;
  children: SpanTree[];
}

export interface CaptureOptions {
  /** Attribute keys to leave out of the JSON and tree output (timings, ports, pids…). */
  omitAttributes?: string[];
}

export class Capture implements SpanProcessor {
  readonly #spans: ReadableSpan[] = [];
  // Starts and ends numbered as they happen. Span clocks are anchored per span, so their
  // timestamps can disagree about the order of events less than a millisecond apart.
  readonly #ticks = new Map<string, { start: number; end: number }>();
  #tick = 0;
  readonly #omit: Set<string>;
  readonly #detach: () => Promise<void>;

  constructor(options: CaptureOptions = {}) {
    this.#omit = new Set(options.omitAttributes ?? []);
    const agent = runningAgent();
    if (agent !== undefined) {
      agent.sdk.chain.add(this);
      this.#detach = () => {
        agent.sdk.chain.remove(this);
        return Promise.resolve();
      };
    } else {
      const provider = new TracerProvider({ spanProcessors: [this] });
      const manager = new AsyncLocalStorageContextManager().enable();
      context.setGlobalContextManager(manager);
      trace.setGlobalTracerProvider(provider);
      this.#detach = async () => {
        await provider.shutdown();
        trace.disable();
        context.disable();
      };
    }
  }

  onStart(span: { spanContext(): { spanId: string } }): void {
    this.#ticks.set(span.spanContext().spanId, { start: ++this.#tick, end: 0 });
  }

  onEnd(span: ReadableSpan): void {
    const t = this.#ticks.get(span.spanContext().spanId);
    if (t !== undefined) t.end = ++this.#tick;
    this.#spans.push(span);
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  /** The captured spans, in the order they ended. */
  get spans(): readonly ReadableSpan[] {
    return this.#spans;
  }

  clear(): void {
    this.#spans.length = 0;
    this.#ticks.clear();
    this.#tick = 0;
  }

  #attributes(a: Attributes): Attributes {
    const out: Attributes = {};
    for (const k of Object.keys(a).sort()) if (!this.#omit.has(k)) out[k] = a[k];
    return out;
  }

  /** The spans as plain objects with sequential ids and times, in the order they ended. */
  #byStart = (a: ReadableSpan, b: ReadableSpan): number =>
    (this.#ticks.get(a.spanContext().spanId)?.start ?? 0) - (this.#ticks.get(b.spanContext().spanId)?.start ?? 0);

  spansAsJSON(): SpanJSON[] {
    const traceIds = new Map<string, number>();
    const spanIds = new Map<string, number>();
    const id = (m: Map<string, number>, k: string): number => {
      let v = m.get(k);
      if (v === undefined) m.set(k, (v = m.size + 1));
      return v;
    };
    for (const s of [...this.#spans].sort(this.#byStart)) id(spanIds, s.spanContext().spanId);
    return this.#spans.map((s) => {
      const parent = s.parentSpanContext?.spanId;
      const json: SpanJSON = {
        name: s.name,
        context: { trace_id: id(traceIds, s.spanContext().traceId), span_id: id(spanIds, s.spanContext().spanId) },
        parent: parent === undefined ? null : { span_id: id(spanIds, parent) },
        start_time: (this.#ticks.get(s.spanContext().spanId)?.start ?? 0) * 1e9,
        end_time: (this.#ticks.get(s.spanContext().spanId)?.end ?? 0) * 1e9,
        attributes: this.#attributes(s.attributes),
      };
      if (s.events.length > 0)
        json.events = s.events.map((e) => ({ name: e.name, attributes: this.#attributes(e.attributes ?? {}) }));
      if (s.status.code !== SpanStatusCode.UNSET)
        json.status =
          s.status.message === undefined ? { code: s.status.code } : { code: s.status.code, message: s.status.message };
      return json;
    });
  }

  /** The spans as a forest: roots (spans whose parent was not captured) in start order. */
  spansAsTree(): SpanTree[] {
    const ids = new Set(this.#spans.map((s) => s.spanContext().spanId));
    const sorted = [...this.#spans].sort(this.#byStart);
    const node = (s: ReadableSpan): SpanTree => ({
      name: s.name,
      attributes: this.#attributes(s.attributes),
      children: sorted.filter((c) => c.parentSpanContext?.spanId === s.spanContext().spanId).map(node),
    });
    return sorted.filter((s) => s.parentSpanContext === undefined || !ids.has(s.parentSpanContext.spanId)).map(node);
  }

  /** Stops capturing (and, if the capture made its own SDK, removes it). */
  close(): Promise<void> {
    return this.#detach();
  }
}

export function createCapture(options?: CaptureOptions): Capture {
  return new Capture(options);
}

/** Runs `fn` with a fresh capture and closes it afterwards, whatever `fn` does. */
export async function withCapture<T>(fn: (capture: Capture) => T | Promise<T>, options?: CaptureOptions): Promise<T> {
  const capture = new Capture(options);
  try {
    return await fn(capture);
  } finally {
    await capture.close();
  }
}
