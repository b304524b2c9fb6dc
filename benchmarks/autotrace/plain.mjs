// The same bodies untouched (not selected), and the floors: a bare timed wrapper of the same
// shape, the least a timed wrapper can do. Sync: two reads of a captured
// process.hrtime.bigint and a compare. Async: the same, plus AsyncLocalStorage.run around the
// body and an await of it (what a wrapper needs to make the call's context the body's).
import { AsyncLocalStorage } from 'node:async_hooks';

export function plainSync(a, b) {
  return a + b;
}
export async function plainAsync0(a, b) {
  return a + b;
}
export async function plainAsync1(a, b) {
  await null;
  return a + b;
}

const hr = process.hrtime.bigint;
const als = new AsyncLocalStorage();
const TH = 1_000_000_000n;
export let slow = 0;
export function floorSync(a, b) {
  const t0 = hr();
  try {
    return a + b;
  } finally {
    if (hr() - t0 >= TH) slow++;
  }
}
export async function floorAsync0(a, b) {
  const t0 = hr();
  try {
    return await als.run(t0, async () => a + b);
  } finally {
    if (hr() - t0 >= TH) slow++;
  }
}
export async function floorAsync1(a, b) {
  const t0 = hr();
  try {
    return await als.run(t0, async () => {
      await null;
      return a + b;
    });
  } finally {
    if (hr() - t0 >= TH) slow++;
  }
}
