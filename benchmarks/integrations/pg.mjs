// The same service using one instrumented library (pg, against the machine's PostgreSQL).
import http from 'node:http';
import pg from 'pg';

const client = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: 'test' });
await client.connect();
const server = http.createServer(async (req, res) => {
  const { rows } = await client.query('SELECT 1 AS n');
  res.end(JSON.stringify({ rows: rows.length }));
});
server.listen(0, '127.0.0.1', async () => {
  const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
  console.log(res.status, await res.text());
  server.close();
  await client.end();
});
