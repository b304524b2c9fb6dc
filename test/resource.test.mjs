// Resource detection (src/resource/): container.id from cgroup v1 and v2 and mountinfo in the
// formats of Docker, containerd (Kubernetes) and Podman, read from fixture files; host.id from
// the machine id; detector selection; and the user's own attributes winning over detected
// ones (regression: service.instance.id from OTEL_RESOURCE_ATTRIBUTES, which the
// OpenTelemetry Operator sets, was replaced by a random UUID).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { containerIdFromCgroup, containerIdFromMountinfo } from '../src/resource/container-id.ts';
import { detect } from '../src/resource/detectors.ts';
import { describeResource } from '../src/resource/resource.ts';
import { LazyResource } from '../src/resource/agent-resource.ts';

const fixture = (name) => readFileSync(new URL(`../fixtures/resource/${name}`, import.meta.url), 'utf8');
const files = (map) => (path) => map[path];

test('container.id from /proc/self/cgroup: Docker and Kubernetes on cgroup v1, containerd under systemd on v2', () => {
  assert.equal(
    containerIdFromCgroup(fixture('cgroup-v1-docker')),
    '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  );
  assert.equal(
    containerIdFromCgroup(fixture('cgroup-v1-kubernetes')),
    'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
  );
  assert.equal(
    containerIdFromCgroup(fixture('cgroup-v2-kubernetes-systemd')),
    'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f',
  );
});

test('no container.id from a cgroup that names none (a private cgroup v2 namespace, a host process, a 32-digit id)', () => {
  assert.equal(containerIdFromCgroup(fixture('cgroup-v2-private')), undefined);
  assert.equal(containerIdFromCgroup(fixture('cgroup-v1-no-container')), undefined);
  assert.equal(containerIdFromCgroup(''), undefined);
});

test('container.id from /proc/self/mountinfo on cgroup v2: Docker and Podman; none on a host', () => {
  assert.equal(
    containerIdFromMountinfo(fixture('mountinfo-docker-v2')),
    '5c6e1f4a2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6',
  );
  assert.equal(
    containerIdFromMountinfo(fixture('mountinfo-podman')),
    '7d2f3e4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f67',
  );
  assert.equal(containerIdFromMountinfo(fixture('mountinfo-host')), undefined);
});

test('the container detector reads mountinfo only on cgroup v2 when the cgroup names no container', () => {
  const read = files({
    '/proc/self/cgroup': fixture('cgroup-v2-private'),
    '/proc/self/mountinfo': fixture('mountinfo-docker-v2'),
  });
  assert.equal(
    detect(['container'], read).attributes['container.id'],
    '5c6e1f4a2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6',
  );
  assert.deepEqual(detect(['container'], files({})).attributes, {});
  // cgroup v1 names a container in its path when there is one: mountinfo is not read.
  const reads = [];
  const v1 = (path) => (
    reads.push(path),
    path === '/proc/self/cgroup' ? fixture('cgroup-v1-no-container') : fixture('mountinfo-docker-v2')
  );
  assert.deepEqual(detect(['container'], v1).attributes, {});
  assert.deepEqual(reads, ['/proc/self/cgroup']);
});

test(
  "host.id is the machine id, from /etc/machine-id or D-Bus's copy; a malformed one is left out",
  { skip: process.platform !== 'linux' },
  () => {
    const id = '3d1219c7c4c5404aaa1f6d2a48adfda4';
    assert.equal(detect(['host'], files({ '/etc/machine-id': `${id}\n` })).attributes['host.id'], id);
    assert.equal(detect(['host'], files({ '/var/lib/dbus/machine-id': id })).attributes['host.id'], id);
    assert.equal(detect(['host'], files({ '/etc/machine-id': 'uninitialized\n' })).attributes['host.id'], undefined);
  },
);

test('each detector sets only its own attributes, and says which it set', () => {
  const { attributes, sources } = detect(['os', 'serviceinstance'], files({}));
  assert.deepEqual(Object.keys(attributes).sort(), ['os.type', 'os.version', 'service.instance.id']);
  assert.deepEqual(sources, { 'os.type': 'os', 'os.version': 'os', 'service.instance.id': 'serviceinstance' });
  assert.match(
    String(attributes['service.instance.id']),
    /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
  );
  assert.deepEqual(detect([], files({})).attributes, {});
});

const config = (resourceAttributes) => ({ serviceName: 'svc', resourceAttributes, bud: {} });

test("regression: service.instance.id from the user's resource attributes wins over the random one", () => {
  const operator = { 'service.instance.id': 'shop.checkout-7d9f-abcde.app', 'k8s.pod.name': 'checkout-7d9f-abcde' };
  const { attributes, sources } = describeResource(config(operator), ['serviceinstance', 'host'], files({}));
  assert.equal(attributes['service.instance.id'], 'shop.checkout-7d9f-abcde.app');
  assert.equal(sources['service.instance.id'], 'config');
  assert.equal(attributes['k8s.pod.name'], 'checkout-7d9f-abcde');
  assert.equal(sources['host.name'], 'host');
  assert.equal(sources['telemetry.sdk.name'], 'sdk');
  assert.equal(attributes['service.name'], 'svc');
});

test('without the serviceinstance detector there is no service.instance.id unless the user gives one', () => {
  assert.equal(describeResource(config({}), ['host'], files({})).attributes['service.instance.id'], undefined);
});

test('the default resource is detected at its first read, once, and whole from then on', () => {
  let runs = 0;
  const resource = new LazyResource(
    () => {
      runs++;
      return { 'service.name': 'svc', 'host.name': 'h' };
    },
    () => assert.fail('no fallback when detection works'),
  );
  assert.equal(runs, 0, 'nothing detected when the resource is made');
  assert.deepEqual(resource.attributes, { 'service.name': 'svc', 'host.name': 'h' });
  assert.deepEqual(resource.getRawAttributes(), [
    ['service.name', 'svc'],
    ['host.name', 'h'],
  ]);
  assert.equal(resource.merge(null).attributes['host.name'], 'h');
  assert.equal(resource.asyncAttributesPending, false);
  assert.equal(runs, 1);
});

test('a detection that throws at the first read: one warning, and the fallback attributes', async (t) => {
  const seen = [];
  const listener = (w) => seen.push(w.message);
  process.on('warning', listener);
  t.after(() => process.off('warning', listener));
  t.mock.method(process.stderr, 'write', () => true);
  const resource = new LazyResource(
    () => {
      throw new Error('no /proc');
    },
    () => ({ 'service.name': 'svc' }),
  );
  assert.deepEqual(resource.attributes, { 'service.name': 'svc' });
  assert.deepEqual(resource.attributes, { 'service.name': 'svc' });
  await new Promise((r) => setImmediate(r));
  assert.equal(seen.length, 1, seen.join('\n'));
  assert.match(seen[0], /resource detection failed \(no \/proc\); the resource carries service.name only/);
});
