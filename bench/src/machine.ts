import { availableParallelism, cpus, arch, platform, release, totalmem } from 'node:os'

/** Where a benchmark ran: figures only compare between runs on like machines. */
export interface MachineInfo {
  cpuModel: string
  /** Logical CPUs this process may use. */
  cores: number
  memoryGiB: number
  os: string
  node: string
  date: string
}

/** Describes this machine and Node, dated now. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    date: new Date().toISOString(),
  }
}
