// container.id from what the kernel tells a process about its own cgroup and mounts, with no
// network and no container runtime API: the same sources OpenTelemetry's container detector
// reads, with the formats of cgroup v1 and v2 and of Docker, containerd (Kubernetes), CRI-O
// and Podman. Owns the parsing only; reading the files is the caller's (see detect.ts).

/** A container id is 64 lowercase hex characters in every runtime named above. */
const ID = /(?:^|[/:.-])([0-9a-f]{64})(?:\.scope)?$/;
// cgroup v2 leaves /proc/self/cgroup as `0::/`; the id then shows in the mount that gives
// the container its hostname (or resolv.conf / hosts): …/containers/<id>/hostname (Docker),
// …/overlay-containers/<id>/userdata/hostname (Podman), …/sandboxes/<id>/hostname (containerd).
const MOUNT =
  /\/(?:containers|overlay-containers|sandboxes)\/([0-9a-f]{64})\/(?:userdata\/)?(?:hostname|resolv\.conf|hosts)\b/;

/** The id in /proc/self/cgroup text (v1: `N:controller:/path`, v2: `0::/path`), if any. */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const path = line.slice(line.indexOf(':', line.indexOf(':') + 1) + 1).trim();
    const m = ID.exec(path);
    if (m !== null) return m[1];
  }
  return undefined;
}

/** The id in /proc/self/mountinfo text (cgroup v2), if any. */
export function containerIdFromMountinfo(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const m = MOUNT.exec(line);
    if (m !== null) return m[1];
  }
  return undefined;
}

/** Whether /proc/self/cgroup text is cgroup v2's alone (`0::/…`), where the path may name no container. */
export function onlyCgroupV2(text: string): boolean {
  const lines = text.split('\n').filter((l) => l !== '');
  return lines.length > 0 && lines.every((l) => l.startsWith('0::'));
}
