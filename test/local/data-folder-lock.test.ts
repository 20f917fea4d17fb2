import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFolderLockedError, LOCK_FILE, lockDataFolder, readLiveLock } from '../../local/data-folder-lock.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'qosgate-lock-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'data');
}

const OWNER = { ports: { gateway: 3001, dynamodb: 40001 }, urls: { websocket: 'ws://127.0.0.1:3001/dev', dynamodb: 'http://127.0.0.1:40001' } };

/** A process that is alive for the test (stands for a running runtime). */
function livePid(): number {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  cleanups.push(() => child.kill('SIGKILL'));
  return child.pid as number;
}

/** The pid of a process that has exited and been reaped (stands for a killed runtime). */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim());
}

describe('lockDataFolder', () => {
  it('creates the folder and a lock naming this process, its ports and URLs; release removes it', () => {
    const dir = dataDir();
    const lock = lockDataFolder(dir, OWNER);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual({ pid: process.pid, startedAt: expect.any(String), ...OWNER });
    expect(readLiveLock(dir)).toMatchObject({ pid: process.pid });
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(readdirSync(dir)).toEqual([]); // no temporary files left
  });

  it('refuses while a live process holds it, naming its pid and URLs, and leaves its lock alone', () => {
    const dir = dataDir();
    const pid = livePid();
    lockDataFolder(dir, { ...OWNER, pid });
    const before = readFileSync(join(dir, LOCK_FILE), 'utf8');
    let refusal: unknown;
    try {
      lockDataFolder(dir, { ...OWNER, ports: { gateway: 3002, dynamodb: 40002 } });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataFolderLockedError);
    expect((refusal as Error).message).toContain(`in use by another qosgate runtime (pid ${pid}`);
    expect((refusal as Error).message).toContain('websocket ws://127.0.0.1:3001/dev, dynamodb http://127.0.0.1:40001');
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(before);
  });

  it('a second lock in the same process is refused too (two runtimes in one process, one folder)', () => {
    const dir = dataDir();
    const lock = lockDataFolder(dir, OWNER);
    expect(() => lockDataFolder(dir, OWNER)).toThrow(DataFolderLockedError);
    lock.release();
    expect(() => lockDataFolder(dir, OWNER).release()).not.toThrow();
  });

  it('takes over a stale lock (its pid is gone) or an unreadable one, and says so', () => {
    const dir = dataDir();
    const gone = deadPid();
    lockDataFolder(dir, { ...OWNER, pid: gone });
    const lines: string[] = [];
    const lock = lockDataFolder(dir, OWNER, (line) => lines.push(line));
    expect(lines).toEqual([expect.stringContaining(`took over the lock of a runtime that is gone (pid ${gone}`)]);
    expect(readLiveLock(dir)).toMatchObject({ pid: process.pid });
    lock.release();

    writeFileSync(join(dir, LOCK_FILE), 'not json');
    lockDataFolder(dir, OWNER, (line) => lines.push(line)).release();
    expect(lines[1]).toContain('replaced an unreadable lock file');
  });

  it("release leaves a lock that is not its own (a newer runtime's) in place", () => {
    const dir = dataDir();
    const gone = deadPid();
    const old = lockDataFolder(dir, { ...OWNER, pid: gone });
    const current = lockDataFolder(dir, OWNER);
    old.release();
    expect(readLiveLock(dir)).toMatchObject({ pid: process.pid, startedAt: current.owner.startedAt });
    current.release();
  });
});
