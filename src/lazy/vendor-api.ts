// dist/lazy/vendor-api.cjs: the one copy of @opentelemetry/api that every lazily loaded
// piece (instrumentations, metrics, logs) shares.
export * from '@opentelemetry/api';
