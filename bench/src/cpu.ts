import { readdir, readFile } from 'node:fs/promises'

/** CPU time counters, in clock ticks, at one moment. */
export interface CpuSnapshot {
  /** The machine's ticks on every core, busy or idle. */
  machineTotal: number
  machineBusy: number
  /** Ticks the given processes spent, user and system. */
  processes: number
}

/**
 * Reads `/proc/stat` and `/proc/<pid>/stat` of `pids` (Linux only), so that two snapshots
 * tell how much CPU other processes took while the benchmark ran: on a shared machine a
 * figure means little without it.
 * @example
 * const before = await cpuSnapshot([process.pid, market.pid])
 * const share = backgroundShare(before, await cpuSnapshot([process.pid, market.pid]))
 */
export async function cpuSnapshot(pids: number[]): Promise<CpuSnapshot> {
  const stat = await readFile('/proc/stat', 'utf8')
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = (stat.split('\n', 1)[0] ?? '').trim().split(/\s+/).slice(1).map(Number)
  const machineBusy = user + nice + system + irq + softirq + steal
  let processes = 0
  for (const pid of pids) {
    processes += cpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8'))
  }
  return { machineTotal: machineBusy + idle + iowait, machineBusy, processes }
}

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

/** User + system clock ticks in the text of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`. */
function cpuTicks(stat: string): number {
  // After "pid (comm) ", utime and stime are the 12th and 13th fields; comm may hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/** The name (`comm`) in the text of a `/proc/<pid>/stat` or `/proc/<pid>/task/<tid>/stat`. */
function commOf(stat: string): string {
  return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
}

/** A `stat` file's text, or undefined when its process or thread has exited meanwhile. */
async function readStat(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * Milliseconds of CPU (user + system) process `pid` has used so far (Linux only).
 * @example
 * const before = await processCpuMs(market.pid) // … run load … then subtract
 */
export async function processCpuMs(pid: number): Promise<number> {
  return (cpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8')) * 1000) / TICKS_PER_SECOND
}

/** The share of the machine's CPU (0–1) that processes other than the measured ones used between two snapshots. */
export function backgroundShare(before: CpuSnapshot, after: CpuSnapshot): number {
  const total = after.machineTotal - before.machineTotal
  const others = after.machineBusy - before.machineBusy - (after.processes - before.processes)
  return total > 0 ? Math.max(0, others) / total : 0
}

/**
 * Milliseconds of CPU each kind of thread of process `pid` has used so far (Linux only), by
 * thread name without its number: Node's `MainThread`, a worker thread's name (PGlite's
 * runs as `WorkerThread`), V8's garbage-collector and compiler helpers (`V8Worker`), libuv's
 * pool (`libuv-worker`). Threads that have exited are not counted.
 * @example
 * const before = await threadCpuMs(market.pid) // … run load … then subtract per name
 */
export async function threadCpuMs(pid: number): Promise<Record<string, number>> {
  const byName: Record<string, number> = {}
  for (const tid of await readdir(`/proc/${pid}/task`)) {
    const text = await readStat(`/proc/${pid}/task/${tid}/stat`)
    if (text === undefined) continue
    const name = commOf(text).replace(/[-_ ]?\d+$/, '')
    byName[name] = (byName[name] ?? 0) + (cpuTicks(text) * 1000) / TICKS_PER_SECOND
  }
  return byName
}

/**
 * Milliseconds of CPU (user + system) that every running process named `name` has used so far
 * (Linux only): a server such as PostgreSQL, whose postmaster and one backend per connection
 * are each a process. Processes that have exited are not counted.
 * @example
 * const before = await namedProcessesCpuMs('postgres') // … run load … then subtract
 */
export async function namedProcessesCpuMs(name: string): Promise<number> {
  let ticks = 0
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const text = await readStat(`/proc/${entry}/stat`)
    if (text !== undefined && commOf(text) === name) ticks += cpuTicks(text)
  }
  return (ticks * 1000) / TICKS_PER_SECOND
}
