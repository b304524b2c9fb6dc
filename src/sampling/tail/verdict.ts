// Where the HTTP server hook asks whether this process keeps a trace, to answer it in the
// traceresponse header (traceresponse.ts): the running tail sampler registers its lookup here
// when the SDK is built (install.ts). A slot rather than a reference to the sampler: the hooks
// are made when the http instrumentation loads, which may be before or after the SDK; both
// reach this one slot through the tail-sampling chunk (chunk.ts).
// Owns the slot; must not decide anything.
let lookup: ((traceId: string) => boolean) | undefined;

export function setKeptLookup(fn: ((traceId: string) => boolean) | undefined): void {
  lookup = fn;
}

/** Whether the running tail sampler already decided to keep this trace. */
export function keptHere(traceId: string): boolean {
  try {
    return lookup?.(traceId) === true;
  } catch {
    return false;
  }
}
