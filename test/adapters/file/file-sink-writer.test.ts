import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSinkWriter } from '../../../lambdas/adapters/file/file-sink-writer.js';
import type { SinkRecord } from '../../../lambdas/core/sink-record.js';
import { describeSinkWriterContract } from '../sink-writer-contract.js';

describeSinkWriterContract('file', async () => {
  const root = await mkdtemp(join(tmpdir(), 'qosgate-sink-'));
  const refused = new Set<string>();
  const writer = new FileSinkWriter(root);
  // A real refusal of the file system, even for root: the refused records' controller folder is
  // taken by a plain file, so their partition folder cannot be created (ENOTDIR).
  await writeFile(join(root, 'controller=blocked'), 'not a folder');
  return {
    writer: { write: (records: SinkRecord[]) => writer.write(records.map((r) => (refused.has(r.messageId) ? { ...r, controller: 'blocked' } : r))) },
    root,
    refuse: (ids) => ids.forEach((id) => refused.add(id)),
    close: () => rm(root, { recursive: true, force: true }),
  };
});
