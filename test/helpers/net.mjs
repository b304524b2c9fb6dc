// Loopback addresses for fault tests.
import { createServer } from 'node:net';
import { once } from 'node:events';

/** A 127.0.0.1 port that nothing listens on (connections are refused). */
export async function closedPort() {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}
