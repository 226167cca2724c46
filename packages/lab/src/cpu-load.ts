import { cpus } from 'node:os'

/** Cumulative CPU time of the machine, all cores, ms: busy and in total. */
export interface CpuTimes {
  busy: number
  total: number
}

/** The machine's CPU times now (from `os.cpus()`). */
export function cpuTimes(): CpuTimes {
  let busy = 0
  let total = 0
  for (const { times: t } of cpus()) {
    const all = t.user + t.nice + t.sys + t.idle + t.irq
    total += all
    busy += all - t.idle
  }
  return { busy, total }
}

/** Fraction of the machine's CPU time that was busy between two readings, 0..1. */
export function busyBetween(a: CpuTimes, b: CpuTimes): number {
  const total = b.total - a.total
  return total > 0 ? (b.busy - a.busy) / total : 0
}

/** Machine CPU busy fraction from which a run counts as paced by the CPU rather than by its caps. */
export const CPU_BOUND = 0.9
