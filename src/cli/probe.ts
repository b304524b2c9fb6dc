// `budobserve doctor`: whether an OTLP/HTTP endpoint answers. It sends what the agent would:
// an export request with no data, in the configured encoding (protobuf: zero bytes, a valid
// empty message; JSON: an empty resource list), with the configured headers, so a collector
// that accepts it answers 200 and one that wants a token or another encoding says so.
// Owns the probe request; must not print anything (the answer is returned).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SignalTarget } from '../export/exporters.ts';

const EMPTY_JSON: Record<SignalTarget['signal'], string> = {
  traces: '{"resourceSpans":[]}',
  metrics: '{"resourceMetrics":[]}',
  logs: '{"resourceLogs":[]}',
};

export function probe(target: SignalTarget): Promise<string> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(target.url);
    } catch {
      resolve('invalid URL');
      return;
    }
    const json = target.protocol === 'http/json';
    const body = json ? EMPTY_JSON[target.signal] : '';
    const headers = {
      ...target.headers,
      'content-type': json ? 'application/json' : 'application/x-protobuf',
      'content-length': String(Buffer.byteLength(body)),
    };
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: 'POST', headers, timeout: 3000 }, (res) => {
      res.resume();
      resolve(`answers (HTTP ${res.statusCode})`);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 3 s')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`unreachable (${e.code ?? e.message})`));
    req.end(body);
  });
}
