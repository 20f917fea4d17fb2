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

    it('remembers inbound QoS 2 ids apart from the entries: put, get, replace, list in order, delete', async () => {
      const store = await create();
      await store.put(entry('q-1'));
      for (const id of ['q-3', 'q-1', 'q-2']) await store.putIncoming({ id, until: 5000 });
      await store.putIncoming({ id: 'q-3', until: 9000 });
      expect(await store.getIncoming('q-3')).toEqual({ id: 'q-3', until: 9000 });
      expect(await store.getIncoming('q-9')).toBeUndefined();
      expect((await store.listIncoming()).map((e) => e.id)).toEqual(['q-3', 'q-1', 'q-2']);
      await store.deleteIncoming('q-1');
      await store.deleteIncoming('q-404');
      expect(await store.listIncoming()).toEqual([{ id: 'q-3', until: 9000 }, { id: 'q-2', until: 5000 }]);
      // The two kinds share ids without touching each other (a server id may look like a client's).
      expect((await store.list()).map((e) => e.id)).toEqual(['q-1']);
      await store.delete('q-2');
      expect(await store.getIncoming('q-2')).toEqual({ id: 'q-2', until: 5000 });
    });

    it('copies inbound ids in and out', async () => {
      const store = await create();
      const original = { id: 'q-1', until: 5000 };
      await store.putIncoming(original);
      original.until = 1;
      const got = (await store.getIncoming('q-1'))!;
      got.until = 2;
      expect(await store.getIncoming('q-1')).toEqual({ id: 'q-1', until: 5000 });
    });

    it('takes many changes at once without losing one', async () => {
      const store = await create();
      await Promise.all(Array.from({ length: 30 }, (_, i) => store.put(entry(`c-${i}`))));
      await Promise.all(Array.from({ length: 15 }, (_, i) => store.delete(`c-${i * 2}`)));
      expect((await store.list()).map((e) => e.id)).toEqual(Array.from({ length: 15 }, (_, i) => `c-${i * 2 + 1}`));
    });

    it('takes many inbound and outbound changes at once without losing one', async () => {
      const store = await create();
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => store.putIncoming({ id: `q-${i}`, until: i })),
        ...Array.from({ length: 20 }, (_, i) => store.put(entry(`c-${i}`))),
      ]);
      await Promise.all(Array.from({ length: 10 }, (_, i) => store.deleteIncoming(`q-${i * 2}`)));
      expect((await store.listIncoming()).map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `q-${i * 2 + 1}`));
      expect(await store.list()).toHaveLength(20);
    });
  });
}
