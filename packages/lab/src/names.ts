/**
 * Every namespace the lab creates is named `p2plab-<pid base36>-<role>` and every link
 * `p2pl<pid base36><role>`, so leftovers of a crashed run are found by prefix and owner pid.
 */
export const NETNS_PREFIX = 'p2plab-'
/** Prefix of every network link (bridge, veth) the lab creates; Linux limits link names to 15 chars. */
export const LINK_PREFIX = 'p2pl'

/** The run tag of this process: its pid in base 36 (at most 5 chars for pid_max 4194304). */
export function runTag(pid = process.pid): string {
  return pid.toString(36)
}

/** Namespace name for a role of this run. */
export function netnsName(role: string, tag = runTag()): string {
  return `${NETNS_PREFIX}${tag}-${role}`
}

/** Link name for a role of this run (`p2pl<tag>-<role>`, role at most 5 chars). */
export function linkName(role: string, tag = runTag()): string {
  const name = `${LINK_PREFIX}${tag}-${role}`
  if (name.length > 15) throw new RangeError(`link name too long: ${name}`)
  return name
}

/** The owner pid encoded in a lab namespace or link name, or undefined for foreign names. */
export function ownerOf(name: string): number | undefined {
  const prefix = name.startsWith(NETNS_PREFIX)
    ? NETNS_PREFIX
    : name.startsWith(LINK_PREFIX)
      ? LINK_PREFIX
      : ''
  if (!prefix || !name.includes('-', prefix.length)) return undefined
  const tag = name.slice(prefix.length).split('-')[0] ?? ''
  const pid = Number.parseInt(tag, 36)
  return Number.isFinite(pid) && pid > 0 ? pid : undefined
}

/** Whether a process with this pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
