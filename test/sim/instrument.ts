import type { ConnectionGateway, Stores } from '../../lambdas/ports/index.js';
import type { TraceLine } from './scheduler.js';

/** Waits at a scheduling point; resolves with the step's trace line (to note the call's result). */
export type PointFn = (label: string) => Promise<TraceLine>;

/** Told about every store or gateway call once it has returned, to track who wrote what. */
export type CallObserver = (port: string, method: string, args: unknown[], result: unknown) => void;

/** The store methods that return pages (AsyncIterable) rather than a Promise. */
const PAGED = new Set(['membersOf', 'subscribersOf', 'pagesOfSession']);

/** Methods whose `undefined` means "not found" or "condition failed", worth showing in the trace. */
const FINDS = new Set(['replaceIf', 'get', 'getSession']);

/**
 * Every store of the bundle behind a proxy that awaits a scheduling point before each call
 * (and before each page of a paged read), then calls the real in-memory store. Nothing of the
 * stores is changed: the proxy only decides when a call happens.
 */
export function instrumentStores(stores: Stores, point: PointFn, observe: CallObserver): Stores {
  const wrapped = {} as Record<keyof Stores, unknown>;
  for (const name of Object.keys(stores) as Array<keyof Stores>) wrapped[name] = instrument(name, stores[name], point, observe);
  return wrapped as Stores;
}

/** The gateway behind the same kind of proxy: every post and disconnect is a point. */
export function instrumentGateway(gateway: ConnectionGateway, point: PointFn, observe: CallObserver): ConnectionGateway {
  return instrument('gateway', gateway, point, observe);
}

function instrument<T extends object>(port: string, target: T, point: PointFn, observe: CallObserver): T {
  return new Proxy(target, {
    get(real, method, receiver) {
      const value: unknown = Reflect.get(real, method, receiver);
      if (typeof value !== 'function' || typeof method !== 'string') return value;
      const call = (args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(real, args);
      if (PAGED.has(method)) {
        return (...args: unknown[]) => pointedPages(`${port}.${method}(${describeArgs(args)})`, () => call(args) as AsyncIterable<unknown>, point);
      }
      return async (...args: unknown[]) => {
        const line = await point(`${port}.${method}(${describeArgs(args)})`);
        const result = await call(args);
        // A conditional write or a read that found nothing says so: that is often the race.
        const shown = result === undefined && FINDS.has(method) ? 'none' : describeResult(result);
        if (shown !== undefined) line.result = shown;
        observe(port, method, args, result);
        return result;
      };
    },
  });
}

/** A paged read where each page is fetched at a point of its own, as DynamoDB fetches a Query page. */
async function* pointedPages<P>(label: string, open: () => AsyncIterable<P>, point: PointFn): AsyncGenerator<P> {
  const pages = open()[Symbol.asyncIterator]();
  for (let page = 1; ; page += 1) {
    const line = await point(`${label} page ${page}`);
    const next = await pages.next();
    if (next.done) {
      line.result = 'end';
      return;
    }
    line.result = Array.isArray(next.value) ? describeList(next.value) : 'page';
    yield next.value;
  }
}

/** Short, readable arguments: keys of records, ids of frames, lengths of long lists. */
export function describeArgs(args: unknown[]): string {
  return args.map(describeValue).join(', ');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return describeString(value);
  if (typeof value === 'number') return value > 1e12 ? `t+${value - 4_000_000_000_000}` : String(value);
  if (Array.isArray(value)) return value.length <= 4 ? `[${value.map(describeValue).join(' ')}]` : `[${value.length} items]`;
  if (typeof value === 'object' && value !== null) return describeRecord(value as Record<string, unknown>);
  return String(value);
}

function describeString(value: string): string {
  if (!value.startsWith('{')) return value;
  // A posted frame: its type and id are what a reader of the trace wants.
  try {
    const frame = JSON.parse(value) as Record<string, unknown>;
    return [frame.type, frame.id, frame.qos !== undefined && frame.type === 'message' ? `qos${String(frame.qos)}` : '', frame.dup ? 'dup' : '']
      .filter((x) => x !== undefined && x !== '')
      .join(' ');
  } catch {
    return value.slice(0, 40);
  }
}

function describeRecord(record: Record<string, unknown>): string {
  if (typeof record.sessionId === 'string' && typeof record.id === 'string') {
    const flags = [record.state, record.parked ? 'parked' : '', record.held ? 'held' : '', record.connectionId ? `@${String(record.connectionId)}` : '']
      .filter((x) => typeof x === 'string' && x !== '')
      .join(' ');
    return `${record.sessionId}/${record.id}${flags ? ` (${flags})` : ''}`;
  }
  if (typeof record.sessionId === 'string' && typeof record.topic === 'string') {
    return `sub ${record.sessionId} ${String(record.controller)}/${record.topic}${record.connectionId ? ` @${String(record.connectionId)}` : ' @none'}`;
  }
  if (typeof record.connectionId === 'string') return `${record.sessionId !== undefined ? `${String(record.sessionId)}@` : ''}${record.connectionId}`;
  if (typeof record.sessionId === 'string') return String(record.sessionId);
  return '{...}';
}

function describeList(items: unknown[]): string {
  return items.length <= 4 ? `[${items.map(describeValue).join(' ')}]` : `[${items.length} items]`;
}

function describeResult(result: unknown): string | undefined {
  if (result === undefined) return undefined;
  if (typeof result === 'string' || typeof result === 'boolean') return String(result);
  if (Array.isArray(result)) return describeList(result);
  if (typeof result === 'object' && result !== null) {
    const r = result as Record<string, unknown>;
    if (typeof r.result === 'string') return r.result;
    return describeValue(r);
  }
  return String(result);
}
