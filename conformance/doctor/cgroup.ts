/**
 * A process's cgroup, and the container it names if any. /proc/PID/cgroup has
 * one line per hierarchy ("ID:controllers:path"); on cgroup v2 only "0::path".
 * Container runtimes put the container id (64 hex digits) or name in the path.
 */

export interface CgroupInfo {
  /** The most telling path: the v2 one unless it is "/", else the longest v1 one. */
  readonly path: string | null;
  /** The container it names ("docker 0123456789ab", "kubernetes pod ... container ..."), or null. */
  readonly container: string | null;
}

const short = (id: string) => id.slice(0, 12);

/** Container runtimes by how they name their cgroups, most specific first. */
const RUNTIMES: readonly {
  readonly pattern: RegExp;
  readonly name: (m: RegExpExecArray) => string;
}[] = [
  {
    pattern: /kubepods.*?pod([0-9a-f_-]{36}).*?(?:(?:docker|crio|cri-containerd)-)?([0-9a-f]{64})/,
    name: (m) => `kubernetes pod ${m[1]!.replaceAll('_', '-')} container ${short(m[2]!)}`,
  },
  {
    pattern: /kubepods.*?pod([0-9a-f_-]{36})/,
    name: (m) => `kubernetes pod ${m[1]!.replaceAll('_', '-')}`,
  },
  { pattern: /libpod-(?:conmon-)?([0-9a-f]{64})/, name: (m) => `podman ${short(m[1]!)}` },
  { pattern: /docker[-/]([0-9a-f]{64})/, name: (m) => `docker ${short(m[1]!)}` },
  { pattern: /(?:crio|cri-containerd)-([0-9a-f]{64})/, name: (m) => `container ${short(m[1]!)}` },
  { pattern: /\/lxc(?:\.payload)?[./]([^/]+)/, name: (m) => `lxc ${m[1]}` },
  { pattern: /machine\.slice\/(?:machine-)?([^/]+)\.scope/, name: (m) => `machine ${m[1]}` },
  { pattern: /\b([0-9a-f]{64})\b/, name: (m) => `container ${short(m[1]!)}` },
];

export function containerOf(path: string): string | null {
  for (const r of RUNTIMES) {
    const m = r.pattern.exec(path);
    if (m) return r.name(m);
  }
  return null;
}

export function describeCgroup(text: string | null): CgroupInfo {
  if (text === null) return { path: null, container: null };
  const paths = text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, controllers, ...rest] = line.split(':');
      return { v2: id === '0' && controllers === '', path: rest.join(':') };
    });
  const v2 = paths.find((p) => p.v2 && p.path !== '/');
  const longest = paths.map((p) => p.path).sort((a, b) => b.length - a.length)[0];
  const path = v2?.path ?? longest ?? null;
  const candidates = [path, ...paths.map((p) => p.path)].filter((p): p is string => p !== null);
  const container = candidates.map(containerOf).find((c) => c !== null) ?? null;
  return { path, container };
}
