// Entry of the lazily loaded tail-sampling chunk (dist/lazy/tail-sampling.cjs): the holding
// processor, the traceresponse hooks and the slot between them (verdict.ts), which only a
// process with tail sampling on loads. One chunk, so that the sampler (install.ts) and the
// HTTP hooks (integrations/enrich/http.ts) share the slot: both load this same file.
// Owns nothing of its own; must stay an entry point only.
export { TailSamplingProcessor } from './processor.ts';
export {
  answerTraceresponse,
  honourTraceresponse,
  incomingTraceresponse,
  undiciTraceresponse,
} from './traceresponse.ts';
export { setKeptLookup } from './verdict.ts';
