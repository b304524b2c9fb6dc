// `@budobserve/agent/testing` (dist/testing.mjs).
export { Capture, createCapture, withCapture } from './testing/capture.ts';
export type { CaptureOptions, SpanJSON, SpanTree } from './testing/capture.ts';
