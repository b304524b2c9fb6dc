// What a user does with the file `budobserve init` writes: uncomment the service name and
// the endpoint. Fails loudly if the template no longer has those lines.
import assert from 'node:assert/strict';

export function editTemplate(text, { serviceName, endpoint, typescript }) {
  const edited = text
    .replace("  // serviceName: 'my-service',", `  serviceName: '${serviceName}'${typescript ? ' as string' : ''},`)
    .replace("    // endpoint: 'http://localhost:4318',", `    endpoint: '${endpoint}',`);
  assert.ok(edited.includes(serviceName) && edited.includes(endpoint), 'the template has the lines a user uncomments');
  return edited;
}
