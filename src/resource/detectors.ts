// The local resource detectors, by OpenTelemetry's names (names.ts): each one a
// synchronous read of local facts none of which the app can change, so that the resource is
// whole before the first span however late it is read, and no start-up waits on the network. Owns what each detector contributes; must not decide
// precedence against the user's own attributes (resource.ts does) nor read the environment.
import { hostname, arch, type as osType, release } from 'node:os';
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Attributes } from '@opentelemetry/api';
import { containerIdFromCgroup, containerIdFromMountinfo, onlyCgroupV2 } from './container-id.ts';
import type { LocalDetector } from './names.ts';
import { MathRandom } from '../primordials.ts';

/** Reads a small system file; undefined when it is missing or unreadable. */
export type ReadText = (path: string) => string | undefined;

export const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const detectors: Readonly<Record<LocalDetector, (read: ReadText) => Attributes>> = {
  host: (read) => {
    const attrs: Attributes = { 'host.name': hostname(), 'host.arch': arch() === 'x64' ? 'amd64' : arch() };
    const id = hostId(read);
    if (id !== undefined) attrs['host.id'] = id;
    return attrs;
  },
  os: () => ({ 'os.type': osType().toLowerCase(), 'os.version': release() }),
  process: () => ({
    'process.pid': process.pid,
    'process.executable.name': basename(process.execPath),
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'process.runtime.description': 'Node.js',
  }),
  container: (read) => {
    const cgroup = read('/proc/self/cgroup') ?? '';
    // Only cgroup v2 (a lone `0::` line) hides the id from the cgroup path; on v1 a container
    // runtime always names it there, so a v1 host is not read further (every start pays it).
    const id =
      containerIdFromCgroup(cgroup) ??
      (onlyCgroupV2(cgroup) ? containerIdFromMountinfo(read('/proc/self/mountinfo') ?? '') : undefined);
    return id === undefined ? {} : { 'container.id': id };
  },
  serviceinstance: () => ({ 'service.instance.id': instanceId() }),
};

/** What `names` detect, each attribute with the detector that set it (for `doctor`). */
export function detect(
  names: Iterable<LocalDetector>,
  read: ReadText = readText,
): { attributes: Attributes; sources: Record<string, LocalDetector> } {
  const attributes: Attributes = {};
  const sources: Record<string, LocalDetector> = {};
  for (const name of names) {
    for (const [key, value] of Object.entries(detectors[name](read))) {
      attributes[key] = value;
      sources[key] = name;
    }
  }
  return { attributes, sources };
}

/**
 * host.id as OpenTelemetry's host detector reads it on Linux: the machine id systemd (or
 * D-Bus) writes once per installation. Not a secret, and stable across restarts, which a
 * random id is not.
 */
function hostId(read: ReadText): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    const id = read(path)?.trim();
    if (id !== undefined && /^[0-9a-f]{32}$/i.test(id)) return id;
  }
  return undefined;
}

/**
 * A random (v4-shaped) UUID from Math.random as it was when the agent loaded (detection runs
 * at the first span, after the app may have put a seeded one in its place): the instance id
 * must be unique, not secret, and node:crypto costs a few milliseconds to load at every
 * start while most processes never need it.
 */
function instanceId(): string {
  const hex = (n: number): string =>
    Math.floor(MathRandom() * 16 ** n)
      .toString(16)
      .padStart(n, '0');
  const variant = (8 + Math.floor(MathRandom() * 4)).toString(16);
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(6)}${hex(6)}`;
}
