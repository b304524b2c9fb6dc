// dist/lazy/vendor-core.cjs: the shared copy of @opentelemetry/core for lazy pieces.
export * from '@opentelemetry/core';
