import { describe, expect, it } from 'vitest';
import type { OutboxEntry, OutboxStore } from '../../client/outbox.js';

const entry = (id: string, over: Partial<OutboxEntry> = {}): OutboxEntry => ({
  id,
  controller: 'sensor',
  topic: 'temp',
  data: { t: 21.5, tags: ['a'] },
  qos: 1,
  retain: false,
  awaiting: 'msgack',
  createdAt: 1000,
  ...over,
});

/**
 * The contract every OutboxStore passes (as MQTT.js's abstract store tests): run by
 * memory-outbox.test.ts and file-outbox.test.ts.
 */
export function outboxContract(name: string, create: () => Promise<OutboxStore> | OutboxStore): void {
  describe(`${name}: the OutboxStore contract`, () => {
    it('gives back what was put, and nothing for an unknown id', async () => {
      const store = await create();
      await store.put(entry('c-1'));
      expect(await store.get('c-1')).toEqual(entry('c-1'));
      expect(await store.get('c-2')).toBeUndefined();
    });

    it('replaces an entry with the same id (a QoS 2 publish moving to its next step)', async () => {
      const store = await create();
      await store.put(entry('c-1', { qos: 2, awaiting: 'pubrec' }));
      await store.put(entry('c-1', { qos: 2, awaiting: 'completion' }));
      expect(await store.get('c-1')).toMatchObject({ awaiting: 'completion' });
      expect(await store.list()).toHaveLength(1);
    });

    it('lists in the order first put; a replaced entry keeps its place', async () => {
      const store = await create();
      for (const id of ['c-3', 'c-1', 'c-2']) await store.put(entry(id));
      await store.put(entry('c-3', { awaiting: 'completion', qos: 2 }));
      expect((await store.list()).map((e) => e.id)).toEqual(['c-3', 'c-1', 'c-2']);
    });

    it('deletes, and deleting an absent id is no error', async () => {
      const store = await create();
      await store.put(entry('c-1'));
      await store.put(entry('c-2'));
      await store.delete('c-1');
      await store.delete('c-404');
      expect((await store.list()).map((e) => e.id)).toEqual(['c-2']);
      expect(await store.get('c-1')).toBeUndefined();
    });

    it('copies values in and out: changing what was put or got does not change the store', async () => {
      const store = await create();
      const original = entry('c-1');
      await store.put(original);
      (original.data as { t: number }).t = 99;
      const got = (await store.get('c-1')) as OutboxEntry;
      (got.data as { tags: string[] }).tags.push('b');
      expect((await store.get('c-1'))?.data).toEqual({ t: 21.5, tags: ['a'] });
    });

    it('takes many changes at once without losing one', async () => {
      const store = await create();
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.put(entry(`c-${i}`))));
      await Promise.all(Array.from({ length: 15 }, (_, i) => store.delete(`c-${i * 2}`)));
      expect((await store.list()).map((e) => e.id)).toEqual(Array.from({ length: 15 }, (_, i) => `c-${i * 2 + 1}`));
    });
  });
}
