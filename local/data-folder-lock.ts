import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One runtime per data folder. A second `npm start` on the same folder used to take the running
 * DynamoDB Local for a stale one, kill it and then fail on the port, leaving the first runtime
 * without its database. Now the folder holds a lock file naming its runtime (pid, ports, URLs):
 *
 *   no lock file                 -> take it
 *   lock of a live pid           -> refuse, naming that runtime (DataFolderLockedError)
 *   lock of a pid that is gone   -> stale (the runtime was killed): take it over, and say so
 *
 * The lock is taken before anything else in the folder is touched (the stale DynamoDB Local pid
 * file included), so only a runtime holding the lock may kill a leftover java.
 */

/** The lock file in the data folder. */
export const LOCK_FILE = 'qosgate.lock';

/** What the lock file says about the runtime that holds it. */
export interface LockOwner {
  /** The runtime's (node) process. */
  pid: number;
  /** ISO time it took the lock. */
  startedAt: string;
  /** Its WebSocket and management API port, and DynamoDB Local's. */
  ports: { gateway: number; dynamodb: number };
  /** Where it serves: `websocket` (ws://…/stage), `dashboard`, `dynamodb`. */
  urls: Record<string, string>;
}

/** The data folder is held by a runtime that is still running. */
export class DataFolderLockedError extends Error {
  override readonly name = 'DataFolderLockedError';
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const urls = Object.entries(owner.urls).map(([what, url]) => `${what} ${url}`);
    super(
      `the data folder ${dataDir} is in use by another qosgate runtime (pid ${owner.pid}, started ${owner.startedAt}${urls.length ? `: ${urls.join(', ')}` : ''}). ` +
        'Stop that one first (Ctrl-C in its terminal), or give this one another folder (--data DIR) or --in-memory.',
    );
  }
}

/** A held lock. */
export interface DataFolderLock {
  path: string;
  owner: LockOwner;
  /** Removes the lock file if it is still this one's. Idempotent. */
  release(): void;
}

/**
 * Takes the data folder's lock for `owner` (created if missing). Throws DataFolderLockedError if
 * a live process holds it; takes over a stale one, reporting it through `log`.
 *
 * The file is written whole under a temporary name and then hard-linked into place: the link
 * either creates the lock or fails because one exists, so a reader never sees half a lock and two
 * starts never both win.
 */
export function lockDataFolder(dataDir: string, owner: Omit<LockOwner, 'pid' | 'startedAt'> & Partial<Pick<LockOwner, 'pid' | 'startedAt'>>, log: (line: string) => void = () => {}): DataFolderLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const full: LockOwner = { pid: owner.pid ?? process.pid, startedAt: owner.startedAt ?? new Date().toISOString(), ports: owner.ports, urls: owner.urls };
  const temp = `${path}.${full.pid}.${Math.random().toString(36).slice(2)}`;
  writeFileSync(temp, `${JSON.stringify(full, null, 2)}\n`);
  try {
    // A few rounds at most: each failed link is a lock someone else holds or held.
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(temp, path);
        return { path, owner: full, release: () => releaseIfOurs(path, full) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readLock(path);
      if (current === 'missing') continue;
      if (current !== 'unreadable' && isAlive(current.pid)) throw new DataFolderLockedError(dataDir, current);
      // Stale (its process is gone) or unreadable (not a lock we wrote): move it aside atomically,
      // so of two starts that both saw it stale only one removes it.
      const aside = `${path}.stale.${full.pid}`;
      try {
        renameSync(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = readLock(aside);
      if (moved !== 'missing' && moved !== 'unreadable' && isAlive(moved.pid)) {
        // A fresh lock was put there between our read and the rename: give it back.
        try {
          linkSync(aside, path);
        } finally {
          rmSync(aside, { force: true });
        }
        throw new DataFolderLockedError(dataDir, moved);
      }
      rmSync(aside, { force: true });
      log(current === 'unreadable' ? `replaced an unreadable lock file ${path}` : `took over the lock of a runtime that is gone (pid ${current.pid}, started ${current.startedAt})`);
    }
    throw new Error(`could not lock ${dataDir}: ${path} keeps changing`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** The lock in a data folder, if a live runtime holds it (for tools that look for a running runtime). */
export function readLiveLock(dataDir: string): LockOwner | undefined {
  const current = readLock(join(dataDir, LOCK_FILE));
  return current !== 'missing' && current !== 'unreadable' && isAlive(current.pid) ? current : undefined;
}

function readLock(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockOwner>;
    if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 0) {
      return { pid: parsed.pid as number, startedAt: String(parsed.startedAt ?? '?'), ports: parsed.ports ?? { gateway: 0, dynamodb: 0 }, urls: parsed.urls ?? {} };
    }
  } catch {
    // falls through
  }
  return 'unreadable';
}

function releaseIfOurs(path: string, owner: LockOwner): void {
  const current = readLock(path);
  if (current !== 'missing' && current !== 'unreadable' && current.pid === owner.pid && current.startedAt === owner.startedAt) rmSync(path, { force: true });
}

/** Alive and not a zombie (a killed process nobody reaped yet holds nothing). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
