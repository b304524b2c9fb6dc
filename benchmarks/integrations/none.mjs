// A service that uses no instrumented library beyond node:http: one request, then exit.
import http from 'node:http';

const server = http.createServer((req, res) => res.end(JSON.stringify({ rows: 1 })));
server.listen(0, '127.0.0.1', async () => {
  const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
  console.log(res.status, await res.text());
  server.close();
});
