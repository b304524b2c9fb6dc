// The app under load in benchmarks/throughput.mjs: Express 5, CommonJS (every contender
// instruments require()), on the machine's real PostgreSQL and Redis for the heavier route.
//   GET /fetch  fetches /inner from this same server (about 6 spans a request under an agent)
//   GET /heavy  a pg query, an ioredis GET and the same fetch
// Prints `READY <port>` once listening; exits on SIGTERM after closing the server and its pools,
// so that an agent flushes what it holds.
'use strict';
const express = require('express');

const route = process.env.ROUTE ?? 'fetch';
const app = express();
let base = '';
let pool;
let redis;
if (route === 'heavy') {
  const { Pool } = require('pg');
  const Redis = require('ioredis');
  pool = new Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 8 });
  redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
}

app.get('/inner', (req, res) => {
  res.json({ ok: true, at: req.query.at ?? null });
});

app.get('/fetch', async (req, res) => {
  const inner = await fetch(`${base}/inner?at=fetch`);
  res.json({ route: 'fetch', inner: await inner.json() });
});

app.get('/heavy', async (req, res) => {
  const { rows } = await pool.query('SELECT $1::int AS n', [7]);
  const cached = await redis.get('bench:throughput');
  const inner = await fetch(`${base}/inner?at=heavy`);
  res.json({ route: 'heavy', n: rows[0].n, cached, inner: await inner.json() });
});

const server = app.listen(0, '127.0.0.1', () => {
  base = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`READY ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void Promise.all([pool?.end(), redis?.quit()]).finally(() => process.exit(0));
});
