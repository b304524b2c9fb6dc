// HrTime ([seconds, nanoseconds]) as OTLP's fixed64 nanoseconds since the epoch, without
// BigInt: seconds × 10^9 passes 2^53 (today it is about 1.8 × 10^18), so the product is built
// in two 32-bit halves from the seconds' low 16 bits and the rest, each product exact in a
// double. The arithmetic is otlp-transformer's writeHrTimeAsFixed64, step for step, so that
// any HrTime (fractional or out-of-range parts included) encodes to the same eight bytes.
// Owns that conversion; must not read clocks.
import type { HrTime } from '@opentelemetry/api';
import type { ProtoWriter } from './writer.ts';

const NANOS_PER_SECOND = 1e9;
const TWO_32 = 4294967296;

export function writeHrTime(w: ProtoWriter, time: HrTime): void {
  writeTime(w, time[0], time[1]);
}

/** writeHrTime of [seconds, nanos], given as numbers. */
export function writeTime(w: ProtoWriter, seconds: number, nanos: number): void {
  const fromLow16 = (seconds & 0xffff) * NANOS_PER_SECOND;
  const fromHigh = ((seconds / 65536) >>> 0) * NANOS_PER_SECOND;
  // fromHigh × 2^16, split: its low 16 bits shifted up, and the rest in the high word.
  const lowSum = (fromLow16 >>> 0) + (((fromHigh & 0xffff) * 65536) >>> 0) + nanos;
  const high = Math.floor(fromLow16 / TWO_32) + ((fromHigh / 65536) >>> 0) + Math.floor(lowSum / TWO_32);
  w.fixed64(lowSum >>> 0, high >>> 0);
}
