// The machine's real services, for integration tests. A test that cannot reach one fails
// with the service's name and the command that starts it: it never skips silently.
import { connect } from 'node:net';

export const services = {
  postgres: { port: 5432, start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' },
  mariadb: { port: 3306, start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' },
  redis: {
    port: 6379,
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  rabbitmq: { port: 5672, start: 'rabbitmq-server -detached' },
};

/** Resolves when 127.0.0.1:<port> of `name` accepts a connection; throws a message saying how to start it. */
export async function requireService(name, ms = 3000) {
  const s = services[name];
  const ok = await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: s.port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.end();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ok) throw new Error(`${name} is not reachable on 127.0.0.1:${s.port}; start it with: ${s.start}`);
}
