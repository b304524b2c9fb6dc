// The quick-start example: a tiny HTTP service that calls another endpoint of itself with
// fetch(), so the console shows a small trace tree. Run it under the agent with
// `npm run demo`, or `node --import @budobserve/agent/register examples/hello/app.mjs`.
import http from 'node:http';

const server = http.createServer(async (req, res) => {
  if (req.url === '/time') {
    setTimeout(() => res.end(new Date().toISOString()), 5);
    return;
  }
  const time = await (await fetch(`http://127.0.0.1:${server.address().port}/time`)).text();
  res.end(`hello from ${req.url} at ${time}`);
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  for (const name of ['ada', 'grace']) {
    const answer = await (await fetch(`http://127.0.0.1:${port}/hello/${name}`)).text();
    console.log(answer);
  }
  server.close();
});
