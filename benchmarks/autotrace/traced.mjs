// The functions the benchmark times as the agent rewrites them: benchmarks/autotrace.mjs
// selects this module for auto-tracing (BUD_OBSERVE_AUTOTRACE_MODULES), so what runs is the
// rewrite's real output. Same bodies as plain.mjs.
export function tracedSync(a, b) {
  return a + b;
}
export async function tracedAsync0(a, b) {
  return a + b;
}
export async function tracedAsync1(a, b) {
  await null;
  return a + b;
}
