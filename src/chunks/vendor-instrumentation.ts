// Entry of the lazily loaded chunk dist/lazy/vendor-instrumentation.cjs, which the
// instrumentation chunks require (scripts/build.mjs shareVendors): the one copy of
// @opentelemetry/instrumentation (and of its require-in-the-middle hook) that every
// instrumentation shares.
export * from '@opentelemetry/instrumentation';
