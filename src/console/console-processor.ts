// The console view: spans printed to stderr, indented by nesting, with durations. stdout
// belongs to the app. Spans are held per local root and printed as one block when the root
// ends, so the spans of one request stay together even when requests interleave; a block
// that grows past a bound is printed early rather than held without limit.
// Owns the console's formatting; must not touch export or the spans themselves.
import type { Context } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { formatAttributes, paint } from './format.ts';
import type { Painter } from './format.ts';
import { LEVEL_NUMBERS, levelName } from '../levels.ts';
import { recordedParent } from '../processors/recorded-parent.ts';
import type { LevelName } from '../levels.ts';
import { ATTR_LEVEL_NUM, ATTR_SPAN_TYPE, ATTR_MSG } from '../attributes.ts';

const LEVEL_STYLE: Record<LevelName, (p: Painter) => (s: string) => string> = {
  trace: (p) => p.dim,
  debug: (p) => p.dim,
  info: (p) => p.cyan,
  notice: (p) => p.cyan,
  warn: (p) => p.yellow,
  error: (p) => p.red,
  fatal: (p) => p.red,
};

export interface ConsoleOptions {
  /** A function when deciding costs something: asked when the first block is printed. */
  colors: boolean | (() => boolean);
  verbose: boolean;
  includeTimestamps?: boolean;
  /** Log-spans below this Logfire level number are not printed. */
  minLevel?: number;
  /** Written once, before the first block (how to send spans to a collector instead). */
  hint?: string;
  write?: (text: string) => void;
  maxHeld?: number;
  /** Applied to each span as it is printed (scrubbing), so held spans cost nothing until then. */
  transform?: (span: ReadableSpan) => ReadableSpan;
}

interface Entry {
  span: ReadableSpan;
  parentId: string | undefined;
}
interface Group {
  entries: Entry[];
  timer?: NodeJS.Timeout;
}

/**
 * How long a block waits after its root ends. Instrumentations do not always end children
 * before parents (an HTTP server span ends on 'finish', the framework's handler spans a
 * moment later); the grace keeps those inside their request's block.
 */
const GRACE_MS = 20;

export class ConsoleSpanProcessor implements SpanProcessor {
  readonly #rootOf = new Map<string, string>();
  readonly #groups = new Map<string, Group>();
  #painter: Painter | undefined;
  readonly #colors: boolean | (() => boolean);
  readonly #verbose: boolean;
  readonly #write: (text: string) => void;
  readonly #maxHeld: number;
  readonly #timestamps: boolean;
  readonly #minLevel: number;
  readonly #transform: ((span: ReadableSpan) => ReadableSpan) | undefined;
  #hint: string | undefined;

  constructor(opts: ConsoleOptions) {
    this.#colors = opts.colors;
    this.#verbose = opts.verbose;
    this.#hint = opts.hint;
    this.#write = opts.write ?? ((t) => process.stderr.write(t));
    this.#maxHeld = opts.maxHeld ?? 1000;
    this.#timestamps = opts.includeTimestamps ?? true;
    this.#minLevel = opts.minLevel ?? 0;
    this.#transform = opts.transform;
  }

  get #paint(): Painter {
    const c = this.#colors;
    return (this.#painter ??= paint(typeof c === 'function' ? c() : c));
  }

  onStart(span: Span, ctx: Context): void {
    const id = span.spanContext().spanId;
    // The block is the one of the span this one really hangs under. Not its parent id: under
    // auto-trace that may name a call not decided yet, which starts no span before it ends
    // (if kept) or is never one (dropped; the gate re-parents its children after they end).
    // A remote parent known here is this process calling itself (a client span and the
    // server span it caused): one block reads better than two.
    const parent = recordedParent(ctx)?.spanContext().spanId;
    const root = parent !== undefined ? this.#rootOf.get(parent) : undefined;
    this.#rootOf.set(id, root ?? id);
  }

  onEnd(span: ReadableSpan): void {
    const id = span.spanContext().spanId;
    const level = span.attributes[ATTR_LEVEL_NUM];
    if (span.attributes[ATTR_SPAN_TYPE] === 'log' && typeof level === 'number' && level < this.#minLevel) {
      this.#rootOf.delete(id);
      return;
    }
    // Its root stays known until the block is printed: a child may start after its parent
    // ended (pg's query after pool.connect) and still belongs to the block, as in the export.
    const rootId = this.#rootOf.get(id) ?? id;
    let group = this.#groups.get(rootId);
    if (group === undefined) this.#groups.set(rootId, (group = { entries: [] }));
    const parent = span.parentSpanContext;
    group.entries.push({ span, parentId: parent?.spanId });
    if (group.entries.length >= this.#maxHeld) this.#release(rootId, group);
    else if (id === rootId && group.timer === undefined) {
      const g = group;
      group.timer = setTimeout(() => this.#release(rootId, g), GRACE_MS).unref();
    }
  }

  #release(rootId: string, group: Group): void {
    if (group.timer !== undefined) clearTimeout(group.timer);
    if (this.#groups.get(rootId) === group) this.#groups.delete(rootId);
    for (const e of group.entries) this.#rootOf.delete(e.span.spanContext().spanId);
    this.#print(group);
  }

  #print(group: Group): void {
    const byParent = new Map<string | undefined, Entry[]>();
    const ids = new Set(group.entries.map((e) => e.span.spanContext().spanId));
    for (const e of group.entries) {
      const key = e.parentId !== undefined && ids.has(e.parentId) ? e.parentId : undefined;
      let list = byParent.get(key);
      if (list === undefined) byParent.set(key, (list = []));
      list.push(e);
    }
    const lines: string[] = [];
    const walk = (parentId: string | undefined, depth: number): void => {
      const children = byParent.get(parentId);
      if (children === undefined) return;
      children.sort((a, b) => hr(a.span.startTime) - hr(b.span.startTime));
      for (const e of children) {
        lines.push(this.#line(e.span, depth));
        walk(e.span.spanContext().spanId, depth + 1);
      }
    };
    walk(undefined, 0);
    let text = lines.join('');
    if (this.#hint !== undefined) {
      text = this.#paint.dim(`${this.#hint}\n`) + text;
      this.#hint = undefined;
    }
    try {
      this.#write(text);
    } catch {
      // a closed stderr must not take the app down
    }
  }

  #line(original: ReadableSpan, depth: number): string {
    const span = this.#transform?.(original) ?? original;
    const p = this.#paint;
    const ts = this.#timestamps ? `${p.dim(new Date(hr(span.startTime) / 1e6).toISOString().slice(11, 23))} ` : '';
    const indent = '  '.repeat(depth);
    const msg = typeof span.attributes[ATTR_MSG] === 'string' ? span.attributes[ATTR_MSG] : describeSpan(span);
    const failed = span.status.code === SpanStatusCode.ERROR;
    let out: string;
    if (span.attributes[ATTR_SPAN_TYPE] === 'log') {
      // A log-span has no duration to show; its level is what matters.
      const level = Number(span.attributes[ATTR_LEVEL_NUM] ?? LEVEL_NUMBERS.info);
      const name = levelName(level);
      const tag = level >= LEVEL_NUMBERS.notice ? `${LEVEL_STYLE[name](p)(`[${name}]`)} ` : '';
      out = `${ts}${indent}${tag}${level < LEVEL_NUMBERS.info ? p.dim(msg) : level >= LEVEL_NUMBERS.error ? p.red(msg) : msg}\n`;
    } else {
      const ms = (hr(span.endTime) - hr(span.startTime)) / 1e6;
      // Without colour, red says nothing: a failed span is also tagged in words, like a log's
      // level, so a NO_COLOR or piped stderr still shows what failed.
      const tag = failed ? `${p.red(`[${failureTag(span)}]`)} ` : '';
      out = `${ts}${indent}${tag}${failed ? p.red(msg) : msg} ${p.dim(formatDuration(ms))}${failed && span.status.message ? ` ${p.red(span.status.message)}` : ''}\n`;
    }
    if (this.#verbose)
      out += formatAttributes(span.attributes, `${this.#timestamps ? ' '.repeat(13) : ''}${indent}│ `, p);
    return out;
  }

  forceFlush(): Promise<void> {
    for (const [rootId, group] of this.#groups) this.#release(rootId, group);
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.forceFlush();
  }
}

/**
 * HTTP instrumentations name spans by method alone ('GET'); the console adds the route or
 * path, and the server for client spans, so a request reads as one line.
 */
function describeSpan(span: ReadableSpan): string {
  const a = span.attributes;
  const method = a['http.request.method'] ?? a['http.method'];
  if (typeof method !== 'string' || span.name !== method) return span.name;
  let path = a['http.route'] ?? a['url.path'] ?? a['http.target'];
  if (span.kind === SpanKind.CLIENT) {
    if (path === undefined && typeof a['url.full'] === 'string') {
      try {
        path = new URL(a['url.full']).pathname;
      } catch {
        /* leave it out */
      }
    }
    const host = a['server.address'] ?? a['net.peer.name'];
    const port = a['server.port'] ?? a['net.peer.port'];
    return `${method} ${host === undefined ? '' : `${String(host)}${port === undefined ? '' : `:${String(port)}`}`}${path === undefined ? '' : String(path)}`;
  }
  return path === undefined ? span.name : `${method} ${String(path)}`;
}

/** An HTTP span's status code (what an HTTP user looks for), else 'error'. */
function failureTag(span: ReadableSpan): string {
  const code = span.attributes['http.response.status_code'] ?? span.attributes['http.status_code'];
  return typeof code === 'number' || (typeof code === 'string' && /^\d{3}$/.test(code)) ? String(code) : 'error';
}

function hr(t: [number, number]): number {
  return t[0] * 1e9 + t[1];
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(0)}µs`;
  if (ms < 1000) return `${ms.toFixed(1)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}
