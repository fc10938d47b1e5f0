import { execFileSync } from 'node:child_process'

/** The commit a run measured, and whether tracked files differed from it. */
export interface SourceRevision {
  commit: string
  /** Tracked files had uncommitted changes: the figures are of code no commit holds. */
  dirty: boolean
}

/** The git revision of the working tree this process runs from; null outside a git checkout. */
export function sourceRevision(): SourceRevision | null {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: new URL('.', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' }
  } catch {
    return null
  }
}
