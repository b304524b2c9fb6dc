// Words the one line the agent prints about telemetry lost at exit, whichever way the process
// ends: the spans the exit bound cut short, the spans the collector refused during exit, the
// spans the last sync flush could not deliver, the drops not yet reported, and metrics or logs
// whose last export failed. One line, so a sick collector costs the app's stderr one line at
// exit, not one per signal, batch or signal type. Pure: shutdown.ts gathers and prints.
import type { BudCode } from '../errors.ts';
import type { ExitLoss } from '../export/batch-processor.ts';
import { errorText } from '../errors.ts';

/** Spans still owed when the exit ended (the sync flush's answer, or whatever the bound left). */
export type Owed = { count: number; result: 'timeout' } | { count: number; result: 'failed'; reason: string };

/** The last export of another signal: 'timeout' (cut short by the bound) or the error. */
export interface OtherLoss {
  signal: 'metrics' | 'logs';
  url: string;
  outcome: 'timeout' | { error: unknown };
}

export interface ExitOutcome {
  /** Where spans go; undefined when they are not exported over OTLP. */
  url: string | undefined;
  boundMs: number;
  loss: ExitLoss | undefined;
  owed: Owed | undefined;
  others: OtherLoss[];
  /** The batch processor's queue bound (OTEL_BSP_MAX_QUEUE_SIZE), named when it overflowed. */
  queueSize: number;
}

/**
 * The warning to print, 'drops' when only drops made before exit are left (the processor's
 * own SPANS_DROPPED report says it best), or undefined when nothing was lost.
 */
export function exitReport(o: ExitOutcome): { code: BudCode; message: string } | 'drops' | undefined {
  const loss = o.loss;
  const timedOut = (loss?.timedOut ?? 0) + (o.owed?.result === 'timeout' ? o.owed.count : 0);
  const failed = (loss?.failedAtExit ?? 0) + (o.owed?.result === 'failed' ? o.owed.count : 0);
  const earlier = (loss?.queueFull ?? 0) + (loss?.failedBefore ?? 0);
  if (timedOut + failed === 0 && o.others.length === 0) return earlier > 0 ? 'drops' : undefined;

  const reason = o.owed?.result === 'failed' ? o.owed.reason : errorText(loss?.error);
  const within = `within ${o.boundMs} ms (shutdownTimeoutMs)`;
  const parts: string[] = [];
  let spans = '';
  if (timedOut + failed > 0 && earlier === 0 && (timedOut === 0 || failed === 0)) {
    spans =
      timedOut > 0
        ? `${timedOut} spans were not confirmed by ${o.url} ${within} at exit`
        : `${failed} spans could not be delivered to ${o.url} at exit: ${reason}`;
  } else if (timedOut + failed + earlier > 0) {
    if (timedOut > 0) parts.push(`${timedOut} not confirmed ${within} at exit`);
    if (failed > 0) parts.push(`${failed} failed at exit (${reason})`);
    if ((loss?.failedBefore ?? 0) > 0) parts.push(`${loss?.failedBefore} earlier, not accepted by the collector`);
    if ((loss?.queueFull ?? 0) > 0)
      parts.push(`${loss?.queueFull} earlier, the export queue (OTEL_BSP_MAX_QUEUE_SIZE=${o.queueSize}) being full`);
    spans = `${timedOut + failed + earlier} spans could not be delivered to ${o.url}: ${parts.join(', ')}`;
  }
  // Beside a spans part, only what differs from it: the line stays short (warnings are cut
  // at about 300 characters), and the collector is usually the same.
  const others = o.others.map((x) => {
    const why = x.outcome === 'timeout' ? 'timeout' : errorText(x.outcome.error);
    if (spans !== '' && why === (timedOut > 0 ? 'timeout' : reason)) return `${x.signal} neither`;
    const where = spans === '' ? ` ${x.outcome === 'timeout' ? 'by' : 'to'} ${x.url}` : '';
    return x.outcome === 'timeout'
      ? `${x.signal} were not confirmed${where} ${within}`
      : `${x.signal} could not be delivered${where} (${why})`;
  });
  const message = spans === '' ? `${others.join('; ')} at exit` : [spans, ...others].join('; ');
  const code: BudCode =
    timedOut > 0 || o.others.some((x) => x.outcome === 'timeout')
      ? 'BUDOBSERVE_SHUTDOWN_TIMEOUT'
      : 'BUDOBSERVE_EXPORT_FAILED';
  return { code, message };
}
