import { readFile } from 'node:fs/promises'

/** CPU time and peak memory of one process (all its threads), read from /proc. */
export interface ProcessUsage {
  /** User plus system CPU time so far, ms. */
  cpuMs: number
  /** Peak resident set size (VmHWM), bytes. */
  peakRss: number
}

/** Linux counts CPU time in USER_HZ ticks, 100 a second. */
const TICK_MS = 10

/** Reads `pid`'s CPU time and peak RSS from /proc; undefined when the process is gone or not on Linux. */
export async function processUsage(pid: number): Promise<ProcessUsage | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 (man 5 proc).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuMs = (Number(fields[11]) + Number(fields[12])) * TICK_MS
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const hwm = /VmHWM:\s+(\d+) kB/.exec(status)
    return { cpuMs, peakRss: hwm ? Number(hwm[1]) * 1024 : 0 }
  } catch {
    return undefined
  }
}
