import { describe, expect, it } from 'vitest';
import { describeFrame, FrameFeed, type FeedEvent } from '../../local/dashboard/feed.js';

describe('the dashboard feed (what the gateway saw)', () => {
  it('tees the console log: the inner observer still gets every frame', () => {
    const lines: string[] = [];
    const feed = new FrameFeed(10, () => 1000);
    const observer = feed.observe({ frameIn: (c, d) => lines.push(`In ${c} ${d}`), frameOut: (c, d) => lines.push(`Out ${c} ${d}`) });
    observer.frameIn?.('c1', 'sensor|temp|25.3');
    observer.frameOut?.('c2', '{"type":"message","qos":1,"id":"m1","dup":false}');
    expect(lines).toEqual(['In c1 sensor|temp|25.3', 'Out c2 {"type":"message","qos":1,"id":"m1","dup":false}']);
  });

  it('parses JSON frames and clients\' text frames (as the server reads them), and keeps the last N events', () => {
    const feed = new FrameFeed(3, () => 1000);
    const observer = feed.observe();
    observer.frameIn?.('c1', 'sensor|temp|25.3');
    observer.frameOut?.('c2', '{"type":"message","controller":"monitor","topic":"temp","data":25.3,"qos":1,"id":"m1","dup":true}');
    observer.frameOut?.('c3', 'monitor|temp|25.3|1|m1'); // to a format=text client: shown as it is
    observer.frameIn?.('c2', 'monitor|msgack|m1');
    const history = feed.history();
    expect(history.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(history[0]).toMatchObject({ kind: 'out', connectionId: 'c2', frame: { type: 'message', id: 'm1', dup: true } });
    expect(history[1]).toMatchObject({ kind: 'out', raw: 'monitor|temp|25.3|1|m1' });
    expect(history[1]).not.toHaveProperty('frame');
    expect(history[2]).toMatchObject({ kind: 'in', frame: { action: 'msgack', ids: ['m1'], text: true } });
    expect(describeFrame('sensor|temp|25.3', true)).toMatchObject({ action: 'publish', controller: 'sensor', topic: 'temp', data: 25.3, qos: 0 });
    expect(describeFrame('not a frame', true)).toBeUndefined();
  });

  it('knows the open connections and tells listeners about every event as it happens', () => {
    const feed = new FrameFeed(10, () => 5);
    const seen: FeedEvent[] = [];
    const unsubscribe = feed.subscribe((e) => seen.push(e));
    const observer = feed.observe();
    observer.connected?.('c1', { sourceIp: '127.0.0.1' });
    observer.connected?.('c2', { sourceIp: '127.0.0.1' });
    observer.frameIn?.('c1', '{"action":"ping"}');
    observer.disconnected?.('c1', { statusCode: 1000, reason: 'bye' });
    unsubscribe();
    observer.frameIn?.('c2', '{"action":"ping"}');
    expect(feed.connections()).toEqual([{ connectionId: 'c2', connectedAt: 5, sourceIp: '127.0.0.1' }]);
    expect(seen.map((e) => e.kind)).toEqual(['connected', 'connected', 'in', 'disconnected']);
    expect(seen[2]).toMatchObject({ frame: { action: 'ping' } });
  });

  it('holds a large frame summarized, not whole', () => {
    const feed = new FrameFeed(10);
    feed.observe().frameOut?.('c1', JSON.stringify({ type: 'message', controller: 'monitor', topic: 't', data: 'x'.repeat(10_000), qos: 0, dup: false }));
    const [event] = feed.history();
    expect(event).toMatchObject({ frame: { type: 'message', data: expect.stringMatching(/chars\)$/) } });
    expect(event && 'raw' in event ? event.raw.length : Infinity).toBeLessThan(300);
  });
});
