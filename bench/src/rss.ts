import { readFile } from 'node:fs/promises'

/** A process's resident memory as the kernel reports it, in MiB. */
export interface MemoryReading {
  /** `VmRSS`: resident now. */
  rssMiB: number
  /** `VmHWM`: the highest resident size since the process started. */
  peakRssMiB: number
}

/**
 * Reads `/proc/<pid>/status` (Linux only).
 * @example
 * const { rssMiB, peakRssMiB } = await readMemory(marketplace.pid)
 */
export async function readMemory(pid: number): Promise<MemoryReading> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kiB = (field: string) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)
    if (!match) throw new Error(`/proc/${pid}/status has no ${field}`)
    return Number(match[1]) / 1024
  }
  return { rssMiB: kiB('VmRSS'), peakRssMiB: kiB('VmHWM') }
}
