// The protobuf wire primitives of the agent's OTLP encoder: one growing Buffer, reused from
// request to request, and the writes the trace encoder needs (varints, fixed32/64, doubles,
// strings, bytes, hex ids, length-delimited messages). Every primitive encodes exactly as
// @opentelemetry/otlp-transformer's ProtobufWriter does (minimal varints, the same 64-bit
// split of large and negative integers, lone surrogates as U+FFFD, the same hex decoding),
// so the agent's requests are byte-identical to the SDK's (test/otlp-encode.test.mjs).
// Owns the buffer and the byte layout of one value; must not know any OTLP message.

/** Buffer's own UTF-8 write: undocumented but on every Node Buffer (protobufjs uses it). */
interface Utf8Writable {
  utf8Write(s: string, offset: number, length?: number): number;
}

const INITIAL_BYTES = 64 * 1024;
/** A buffer grown past this for one huge request is let go after it, not kept for the next. */
const KEEP_AT_MOST_BYTES = 4 * 1024 * 1024;
/**
 * Strings up to this length are written by a JavaScript loop when ASCII (a call into C++
 * costs more than the loop for them, benchmarks/otlp-encode.mjs) and need no length computed
 * first: at most 3 UTF-8 bytes per UTF-16 unit keep them under 128 bytes, a 1-byte length.
 */
const SHORT_STRING = 42;

const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);

/** Bytes of `v` as a varint, for a non-negative length (< 2^32). */
export function varintSize(v: number): number {
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x200000) return 3;
  if (v < 0x10000000) return 4;
  return 5;
}

/** otlp-transformer's hexToBinary digit: 0-9, a-f, A-F; anything else as it decodes it. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

/** hexDigit of every char code below 256, looked up: the id loop's cost is mostly this. */
const HEX_DIGITS = new Uint8Array(256);
for (let c = 0; c < 256; c++) HEX_DIGITS[c] = hexDigit(c) & 0xff;

export class ProtoWriter {
  buf: Buffer = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  pos = 0;

  reset(): void {
    this.pos = 0;
  }

  /** Room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.#grow(n);
  }

  #grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = Buffer.allocUnsafeSlow(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /**
   * The bytes written, as a buffer of their own: this writer's buffer is the next request's,
   * while these may still be in flight, gzipped, or held for a retry or the exit flush. A
   * buffer mostly filled is handed out whole and replaced (no copy, no zeroing: V8 zeroes
   * every new Uint8Array, a few hundred kilobytes a batch); a mostly empty one is copied, so
   * that a small request does not hold a large buffer.
   */
  take(): Uint8Array {
    const n = this.pos;
    const buf = this.buf;
    this.pos = 0;
    if (n >= buf.length >>> 2) {
      this.buf = Buffer.allocUnsafeSlow(buf.length > KEEP_AT_MOST_BYTES ? INITIAL_BYTES : buf.length);
      return new Uint8Array(buf.buffer, buf.byteOffset, n);
    }
    const copy = Buffer.allocUnsafeSlow(n);
    buf.copy(copy, 0, 0, n);
    if (buf.length > KEEP_AT_MOST_BYTES) this.buf = Buffer.allocUnsafeSlow(INITIAL_BYTES);
    return new Uint8Array(copy.buffer, copy.byteOffset, n);
  }

  /** One byte: a precomputed tag or a 1-byte value. */
  byte(b: number): void {
    if (this.pos >= this.buf.length) this.#grow(1);
    this.buf[this.pos++] = b;
  }

  /** Precomputed bytes (a cached message, a 2-byte tag). */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A varint, as otlp-transformer writes any number: negative ones in ten bytes. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        buf[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      let low: number;
      let high: number;
      if (value >= 0) {
        low = value >>> 0;
        high = (value / 4294967296) >>> 0;
      } else {
        // Two's complement of |value| over 64 bits.
        const abs = Math.abs(value);
        low = ~(abs >>> 0) >>> 0;
        high = ~((abs / 4294967296) >>> 0) >>> 0;
        low = (low + 1) >>> 0;
        if (low === 0) high = (high + 1) >>> 0;
      }
      while (high > 0 || low > 127) {
        buf[pos++] = (low & 127) | 128;
        low = ((low >>> 7) | (high << 25)) >>> 0;
        high >>>= 7;
      }
      buf[pos++] = low & 127;
    }
    this.pos = pos;
  }

  fixed32(value: number): void {
    this.ensure(4);
    const v = value >>> 0;
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = v & 255;
    buf[pos + 1] = (v >>> 8) & 255;
    buf[pos + 2] = (v >>> 16) & 255;
    buf[pos + 3] = v >>> 24;
    this.pos = pos + 4;
  }

  fixed64(low: number, high: number): void {
    this.ensure(8);
    const l = low >>> 0;
    const h = high >>> 0;
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = l & 255;
    buf[pos + 1] = (l >>> 8) & 255;
    buf[pos + 2] = (l >>> 16) & 255;
    buf[pos + 3] = l >>> 24;
    buf[pos + 4] = h & 255;
    buf[pos + 5] = (h >>> 8) & 255;
    buf[pos + 6] = (h >>> 16) & 255;
    buf[pos + 7] = h >>> 24;
    this.pos = pos + 8;
  }

  /** IEEE 754 little-endian, NaN and the infinities included. */
  double(value: number): void {
    this.ensure(8);
    scratch[0] = value;
    this.buf.set(scratchBytes, this.pos);
    this.pos += 8;
  }

  /** A length-delimited string, UTF-8. */
  string(s: string): void {
    const n = s.length;
    if (n > SHORT_STRING) return this.#longString(s);
    this.ensure(1 + 3 * n);
    const buf = this.buf;
    const start = this.pos + 1;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      buf[start + i] = c;
    }
    const bytes = i === n ? n : (buf as unknown as Utf8Writable).utf8Write(s, start);
    buf[this.pos] = bytes;
    this.pos = start + bytes;
  }

  /** Written first, after a length as wide as if all ASCII; moved in the rare case it is not. */
  #longString(s: string): void {
    const width = varintSize(s.length);
    this.ensure(width + 3 * s.length + 5);
    const at = this.pos;
    const bytes = (this.buf as unknown as Utf8Writable).utf8Write(s, at + width);
    this.pos = at + width + bytes;
    this.#patchLength(at, width, bytes);
  }

  /** Length-delimited bytes. */
  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.raw(value);
  }

  /** A span or trace id: its hex string as length-delimited bytes, nothing allocated. */
  id(hex: string): void {
    const n = hex.length >>> 1;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    const pos = this.pos;
    for (let i = 0; i < n; i++) {
      const hi = hex.charCodeAt(2 * i);
      const lo = hex.charCodeAt(2 * i + 1);
      buf[pos + i] = (hi | lo) < 256 ? (HEX_DIGITS[hi]! << 4) | HEX_DIGITS[lo]! : (hexDigit(hi) << 4) | hexDigit(lo);
    }
    this.pos = pos + n;
  }

  /**
   * Starts a length-delimited message: `width` bytes kept for its length, the width it most
   * often needs (1 for a key-value, 2 for a span), so that end() seldom moves anything.
   */
  begin(width: number): number {
    this.ensure(width);
    const at = this.pos;
    this.pos += width;
    return at;
  }

  /** Ends the message begun at `at`: its length written there, minimal as protobuf writes it. */
  end(at: number, width: number): void {
    const length = this.pos - at - width;
    if (width === 1 && length < 128) {
      this.buf[at] = length;
      return;
    }
    this.#patchLength(at, width, length);
  }

  /** Writes `length` at `at`, moving the `length` bytes after the `width` kept if need be. */
  #patchLength(at: number, width: number, length: number): void {
    const size = varintSize(length);
    if (size !== width) {
      if (size > width) this.ensure(size - width);
      this.buf.copyWithin(at + size, at + width, at + width + length);
      this.pos += size - width;
    }
    const buf = this.buf;
    let v = length;
    let pos = at;
    while (v > 127) {
      buf[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[pos] = v;
  }
}
