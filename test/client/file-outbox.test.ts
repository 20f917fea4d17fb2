import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileOutbox } from '../../client/file-outbox.js';
import { outboxContract } from './outbox-contract.js';

const dirs: string[] = [];
const tempDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'qosgate-outbox-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

outboxContract('FileOutbox', async () => new FileOutbox(join(await tempDir(), 'nested', 'outbox.json')));

describe('FileOutbox on disk', () => {
  it('survives a restart: a new instance on the same file reads what the last one left', async () => {
    const path = join(await tempDir(), 'outbox.json');
    const first = new FileOutbox(path);
    await first.put({ id: 'c-1', controller: 'sensor', topic: 'temp', data: 21, qos: 2, retain: true, awaiting: 'completion', createdAt: 5 });
    await first.put({ id: 'c-2', controller: 'sensor', topic: 'temp', data: 22, qos: 1, retain: false, awaiting: 'msgack', createdAt: 6 });
    await first.delete('c-2');
    const second = new FileOutbox(path);
    expect(await second.list()).toEqual([{ id: 'c-1', controller: 'sensor', topic: 'temp', data: 21, qos: 2, retain: true, awaiting: 'completion', createdAt: 5 }]);
  });

  it('keeps inbound QoS 2 ids across a restart, and reads a file an older client wrote (no incoming list)', async () => {
    const path = join(await tempDir(), 'outbox.json');
    await new FileOutbox(path).putIncoming({ id: 'm-1', until: 99 });
    expect(await new FileOutbox(path).listIncoming()).toEqual([{ id: 'm-1', until: 99 }]);

    const older = join(await tempDir(), 'outbox.json');
    await writeFile(older, JSON.stringify({ version: 1, entries: [] }));
    expect(await new FileOutbox(older).listIncoming()).toEqual([]);
  });

  it('writes through a temporary file and a rename: no temporary file is left, the file is whole JSON', async () => {
    const dir = await tempDir();
    const path = join(dir, 'outbox.json');
    const store = new FileOutbox(path);
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put({ id: `c-${i}`, controller: 'c', topic: 't', data: i, qos: 1, retain: false, awaiting: 'msgack', createdAt: i })));
    expect(await readdir(dir)).toEqual(['outbox.json']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({ version: 1, entries: expect.any(Array) });
  });
});
