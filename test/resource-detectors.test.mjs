// OTEL_NODE_RESOURCE_DETECTORS end to end, under the agent, on the exported resource: the
// default asks no metadata service (a loopback server stands in for the AWS ECS and GCP ones,
// the only metadata addresses that variables can point elsewhere, and counts every request);
// `aws` named, with that server answering, puts its attributes on the first export; `none`
// leaves the SDK's identity and the configuration only; `all` is every local and cloud one,
// and the first export waits for the unreachable ones no longer than the bound. Also the
// bound itself and the option's names, without a process (src/resource/cloud.ts, names.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { runApp, fixtures } from './helpers/run.mjs';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { startCloudDetection } from '../src/resource/cloud.ts';
import { selectDetectors } from '../src/resource/names.ts';
import { doctor } from './helpers/doctor.mjs';

const app = `${fixtures}http/app.mjs`;
const TASK_ARN = 'arn:aws:ecs:eu-west-1:123456789012:task/shop/0123456789abcdef';

/** A metadata service on loopback: the ECS task metadata (v4) answers (or, with hang, never does), anything else 404. */
async function startMetadata({ hang = false } = {}) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.url);
    if (hang) return;
    const body = req.url.endsWith('/task')
      ? {
          TaskARN: TASK_ARN,
          Cluster: 'shop',
          LaunchType: 'FARGATE',
          Family: 'checkout',
          Revision: '7',
          AvailabilityZone: 'eu-west-1a',
        }
      : req.url.startsWith('/v4')
        ? { ContainerARN: 'arn:aws:ecs:eu-west-1:123456789012:container/shop/abc', LogDriver: 'json-file' }
        : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const host = `127.0.0.1:${server.address().port}`;
  return {
    requests,
    env: { ECS_CONTAINER_METADATA_URI_V4: `http://${host}/v4`, GCE_METADATA_HOST: host },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

async function exported(env) {
  const receiver = await startReceiver();
  const metadata = await startMetadata();
  try {
    const r = await runApp({
      script: app,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'detect-test', ...metadata.env, ...env },
    });
    assert.equal(r.code, 0, r.stderr);
    const [span] = await receiver.waitFor((s) => s.length >= 2);
    return { resource: span.resource, metadataRequests: metadata.requests, stderr: r.stderr };
  } finally {
    await metadata.close();
    await receiver.close();
  }
}

test('by default no cloud detector runs: no request reaches the metadata services, the local attributes are there', async () => {
  const { resource, metadataRequests, stderr } = await exported({});
  assert.deepEqual(metadataRequests, []);
  assert.equal(resource['cloud.provider'], undefined);
  for (const key of ['host.name', 'host.arch', 'os.type', 'process.pid', 'process.runtime.name', 'service.instance.id'])
    assert.ok(key in resource, key);
  assert.equal(resource['service.name'], 'detect-test');
  assert.doesNotMatch(stderr, /budobserve/);
});

test('aws named: the ECS metadata answers within the bound and its attributes are on the exported resource', async () => {
  const { resource, metadataRequests } = await exported({ OTEL_NODE_RESOURCE_DETECTORS: 'env,host,aws' });
  assert.ok(metadataRequests.includes('/v4/task'), String(metadataRequests));
  assert.equal(resource['cloud.provider'], 'aws');
  assert.equal(resource['cloud.platform'], 'aws_ecs');
  assert.equal(resource['aws.ecs.task.arn'], TASK_ARN);
  assert.equal(resource['cloud.region'], 'eu-west-1');
  assert.ok('host.name' in resource);
  assert.equal(resource['os.type'], undefined, 'os was not named');
  assert.equal(resource['service.name'], 'detect-test', 'configuration wins');
});

test('none: only the SDK identity and the configuration (OTEL_RESOURCE_ATTRIBUTES still applies)', async () => {
  const { resource, metadataRequests } = await exported({
    OTEL_NODE_RESOURCE_DETECTORS: 'none',
    OTEL_RESOURCE_ATTRIBUTES: 'team=core',
  });
  assert.deepEqual(metadataRequests, []);
  assert.deepEqual(
    Object.keys(resource)
      .filter((k) => !k.startsWith('telemetry.'))
      .sort(),
    ['service.name', 'service.version', 'team'].filter((k) => k in resource).sort(),
  );
  assert.equal(resource.team, 'core');
  assert.equal(resource['host.name'], undefined);
  assert.equal(resource['telemetry.sdk.language'], 'nodejs');
});

test('all: every local and every cloud detector; the unreachable ones do not keep the resource from being exported', async () => {
  const { resource } = await exported({ OTEL_NODE_RESOURCE_DETECTORS: 'all' });
  for (const key of ['host.name', 'os.type', 'process.pid', 'service.instance.id']) assert.ok(key in resource, key);
  assert.equal(resource['aws.ecs.task.arn'], TASK_ARN);
});

test('a metadata service that never answers holds the first export no longer than the bound; the local attributes go', async () => {
  const receiver = await startReceiver();
  const metadata = await startMetadata({ hang: true });
  try {
    let exitedAt;
    const run = runApp({
      script: `${fixtures}resource/linger-app.mjs`,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_NODE_RESOURCE_DETECTORS: 'host,aws',
        LINGER_MS: '4000',
        ...metadata.env,
      },
    }).then((r) => {
      exitedAt = Date.now();
      return r;
    });
    const [span] = await receiver.waitFor((s) => s.length >= 2, 15_000);
    assert.equal(exitedAt, undefined, 'exported while the app runs, not at exit');
    assert.ok(metadata.requests.length > 0, 'the ECS metadata was asked');
    assert.equal(span.resource['aws.ecs.task.arn'], undefined);
    assert.ok('host.name' in span.resource);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
  } finally {
    await metadata.close();
    await receiver.close();
  }
});

test('an unknown detector name is one CONFIG_INVALID warning naming the supported ones, and is skipped', () => {
  const r = doctor(fixtures, { OTEL_NODE_RESOURCE_DETECTORS: 'host,awz' });
  assert.deepEqual(r.value('resourceDetectors'), ['host']);
  assert.equal(r.source('resourceDetectors'), 'OTEL_NODE_RESOURCE_DETECTORS');
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0].code, 'BUDOBSERVE_CONFIG_INVALID');
  assert.match(
    r.problems[0].message,
    /OTEL_NODE_RESOURCE_DETECTORS.*'awz'.*supported: env, host, os, process, container, serviceinstance, aws, gcp, azure, alibaba, all, none/,
  );
});

test('BUD_OBSERVE_RESOURCE_DETECTORS wins over OTEL_NODE_RESOURCE_DETECTORS', () => {
  const r = doctor(fixtures, { OTEL_NODE_RESOURCE_DETECTORS: 'none', BUD_OBSERVE_RESOURCE_DETECTORS: 'os,gcp' });
  assert.deepEqual(r.value('resourceDetectors'), ['os', 'gcp']);
  assert.deepEqual(r.cloudDetectors, ['gcp']);
});

test('selection: the default is the local ones, all adds every cloud one, none wins, env selects nothing', () => {
  assert.deepEqual(selectDetectors(doctor(fixtures).value('resourceDetectors')), {
    local: ['host', 'os', 'process', 'container', 'serviceinstance'],
    cloud: [],
  });
  assert.deepEqual(selectDetectors(['all']).cloud, ['aws', 'gcp', 'azure', 'alibaba']);
  assert.deepEqual(selectDetectors(['all', 'none']), { local: [], cloud: [] });
  assert.deepEqual(selectDetectors(['env']), { local: [], cloud: [] });
  assert.deepEqual(selectDetectors(['gcp', 'os']), { local: ['os'], cloud: ['gcp'] });
});

test('the bound: a detector that never answers is cut off, what settled is kept, a later detector wins, non-attribute values are dropped', async () => {
  const never = new Promise(() => {});
  const detectors = {
    aws: [
      {
        detect: () => ({
          attributes: {
            'cloud.provider': 'aws',
            'host.id': Promise.resolve('i-1'),
            slow: never,
            bad: Promise.resolve({ nested: 1 }),
          },
        }),
      },
    ],
    gcp: [
      {
        detect: () => ({ attributes: { 'host.id': Promise.resolve('gce-2'), gone: Promise.reject(new Error('no')) } }),
      },
      {
        detect: () => {
          throw new Error('boom');
        },
      },
    ],
  };
  const d = startCloudDetection(['aws', 'gcp'], detectors, 100);
  // Not ready once the settled answers are in: a detector is still out, so it waits for the bound.
  assert.equal(await firstOf(d.ready), 'a macrotask');
  await d.ready;
  assert.deepEqual(d.result(), {
    attributes: { 'cloud.provider': 'aws', 'host.id': 'gce-2' },
    sources: { 'cloud.provider': 'aws', 'host.id': 'gcp' },
  });
});

test('detection that settles before the bound is ready at once', async () => {
  const d = startCloudDetection(
    ['alibaba'],
    { alibaba: [{ detect: () => ({ attributes: { 'cloud.provider': Promise.resolve('alibaba_cloud') } }) }] },
    5000,
  );
  // Ready within the microtasks that settle its answers, before any timer could fire.
  assert.equal(await firstOf(d.ready), 'ready');
  assert.equal(d.result().attributes['cloud.provider'], 'alibaba_cloud');
});

/** Whether `ready` settles before a zero-delay timer fires (it settles through microtasks only) or not. */
function firstOf(ready) {
  return Promise.race([ready.then(() => 'ready'), new Promise((resolve) => setTimeout(resolve, 0, 'a macrotask'))]);
}
