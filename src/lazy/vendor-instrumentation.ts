// dist/lazy/vendor-instrumentation.cjs: the one copy of @opentelemetry/instrumentation (and
// of its require-in-the-middle hook) that every instrumentation shares.
export * from '@opentelemetry/instrumentation';
