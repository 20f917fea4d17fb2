import type { AudiencePage, AudiencePageRequest } from '../ports/audience-page.js';
import type { ConnectionStore, SubscriptionStore } from '../ports/index.js';
import type { AppDeps } from './deps.js';

/**
 * The deps a batched publish (PROTOCOL §2 `messages`) is handed on with: within the batch, the
 * audience of a controller/topic is read once for all its messages (the filters matching the
 * topic, the first page of its subscribers, the first page of a controller's members), not once
 * per message. A batch of 100 readings on 10 topics reads 10 audiences, not 100.
 *
 * Why it keeps every guarantee: the batch is handed on at one `now`, and what its messages read
 * is what as many publishes arriving at that moment would each read; the hand-on already holds
 * for those (a connection one of them finds gone is ended as concurrent publishes end it, and a
 * later message posting to it finds it gone again). Later pages (a `startKey`: page jobs) are
 * read as they are. Each caller gets its own copy of a page's list.
 */
export function withSharedAudienceReads(deps: AppDeps): AppDeps {
  const reads = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    let shared = reads.get(key) as Promise<T> | undefined;
    if (shared === undefined) {
      shared = read();
      // A failed read is not kept: the next message reads again (and fails on its own).
      shared.catch(() => reads.delete(key));
      reads.set(key, shared);
    }
    return shared;
  };
  const copyPage = (page: AudiencePage): AudiencePage => ({ ...page, recipients: [...page.recipients] });
  const firstPage = (request: AudiencePageRequest) => request.startKey === undefined && request.endKey === undefined;

  const subscriptions = overriding<SubscriptionStore>(deps.stores.subscriptions, {
    filtersMatching: (store) => (controller: string, topic: string, now: number) =>
      once(`filters\u0000${controller}\u0000${topic}\u0000${now}`, () => store.filtersMatching(controller, topic, now)).then((filters) => [...filters]),
    subscriberPage: (store) => (controller: string, topic: string, now: number, request: AudiencePageRequest) =>
      firstPage(request)
        ? once(`subscribers\u0000${controller}\u0000${topic}\u0000${now}\u0000${request.limit}`, () => store.subscriberPage(controller, topic, now, request)).then(copyPage)
        : store.subscriberPage(controller, topic, now, request),
  });
  const connections = overriding<ConnectionStore>(deps.stores.connections, {
    memberPage: (store) => (controller: string, now: number, request: AudiencePageRequest) =>
      firstPage(request)
        ? once(`members\u0000${controller}\u0000${now}\u0000${request.limit}`, () => store.memberPage(controller, now, request)).then(copyPage)
        : store.memberPage(controller, now, request),
  });
  return { ...deps, stores: { ...deps.stores, subscriptions, connections } };
}

/** The store with some methods replaced; every other member is the store's own (bound to it). */
function overriding<T extends object>(store: T, methods: { [K in keyof T]?: (store: T) => T[K] }): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const replace = (methods as Record<PropertyKey, ((store: T) => unknown) | undefined>)[property];
      if (replace !== undefined) return replace(target);
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
