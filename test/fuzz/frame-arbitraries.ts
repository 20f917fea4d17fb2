import fc from 'fast-check';

/**
 * Random frames for fuzzing the handlers: JSON and text, huge, deeply nested, wrong types,
 * unicode, and ids that belong to somebody else (`victimIds`).
 */
export function frameArbitrary(victimIds: string[]): fc.Arbitrary<string> {
  const name = fc.oneof(
    { arbitrary: fc.constantFrom('sensor', 'monitor', 'temp', 'vault', 'alerts', 'boiler'), weight: 8 },
    { arbitrary: fc.constantFrom('$presence', '$sys', '$'), weight: 1 },
    { arbitrary: fc.constantFrom('msgack', 'pubrel', 'ping', 'resume', 'suback', ''), weight: 1 },
    { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 1 },
    { arbitrary: fc.string({ minLength: 129, maxLength: 140 }), weight: 1 },
  );
  // PROTOCOL §8 topic filters: valid ones (subscribe/unsubscribe take them, publish refuses them) and bad ones.
  const filter = fc.oneof(
    fc.constantFrom('site-1/+/temp', 'site-1/#', '#', '+', '+/boiler/+', 'temp/#'),
    fc.constantFrom('a/#/b', 'a+/b', '#x', 'x#', '++', '#/#', 'a/+b', '+#'),
    fc.array(fc.constantFrom('site-1', 'temp', '+', '#', '', 'a+', '#b'), { minLength: 1, maxLength: 4 }).map((levels) => levels.join('/')),
  );
  const id = fc.oneof(
    fc.constantFrom(...victimIds, 'c-1', 'x', ''),
    fc.string({ maxLength: 70 }),
    fc.string({ unit: 'binary', maxLength: 10 }),
    fc.integer(),
  );
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.constant(undefined), fc.string({ unit: 'binary', maxLength: 20 }));
  const qos = fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: -3, max: 7 }), fc.constantFrom('1', null, true, 1.5, [1]));
  const action = fc.oneof(
    fc.constantFrom('publish', 'msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping', 'will', 'disconnect', 'history'),
    fc.string({ maxLength: 10 }),
    fc.constantFrom(1, null, ['publish'], { a: 1 }),
  );
  const anyMessage = fc.record({
    controller: fc.oneof(name, anyValue),
    topic: fc.oneof(name, anyValue, filter),
    data: anyValue,
    retain: fc.oneof(fc.boolean(), anyValue),
    expiry: fc.oneof(fc.integer({ min: -2, max: 90_000 }), anyValue),
  }, { requiredKeys: [] });
  const jsonFrame = fc
    .record(
      {
        action,
        controller: fc.oneof(name, anyValue),
        topic: fc.oneof(name, anyValue, filter),
        data: anyValue,
        qos,
        id,
        ids: fc.oneof(fc.array(id, { maxLength: 5 }), anyValue, fc.constant(victimIds)),
        retain: fc.oneof(fc.boolean(), anyValue),
        dup: fc.oneof(fc.boolean(), anyValue),
        // PROTOCOL §4 per-message expiry: valid (1 to the default TTL, 86,400 s) and not.
        expiry: fc.oneof(fc.integer({ min: -2, max: 90_000 }), fc.constantFrom(0, 1, 1.5, 86_400, 86_401, '10', null), anyValue),
        // PROTOCOL §2 batched publish: messages of any shape, or not an array at all.
        messages: fc.oneof(fc.array(fc.oneof(anyMessage, anyValue), { maxLength: 4 }), anyValue),
        // PROTOCOL §10 history: limit 1-1000, since/before whole ms, since not after before; and not.
        ...historyFields(anyValue),
      },
      { requiredKeys: ['action'] },
    )
    .chain((frame) => fc.boolean().map((proto) => (proto ? `{"__proto__":{"polluted":true},${JSON.stringify(frame).slice(1)}` : JSON.stringify(frame))));
  const textFrame = fc
    .tuple(name, fc.oneof(name, fc.constantFrom('msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping', 'temp')), fc.oneof(fc.string(), fc.constantFrom(...victimIds), fc.jsonValue().map((v) => JSON.stringify(v))))
    .map(([c, t, d]) => `${c}|${t}|${d}`);
  const textFilterFrame = fc
    .tuple(name, fc.constantFrom('subscribe', 'unsubscribe'), filter, fc.constantFrom('', '|0', '|1', '|2', '|3'))
    .map(([c, action, f, qosField]) => `${c}|${action}|${f}${qosField}`);
  const huge = fc.constantFrom(
    JSON.stringify({ action: 'publish', controller: 'monitor', topic: 't', data: 'x'.repeat(70_000) }),
    `monitor|t|${'y'.repeat(70_000)}`,
    JSON.stringify({ action: 'msgack', ids: Array.from({ length: 500 }, (_, i) => `id-${i}`) }),
    JSON.stringify({ action: 'publish', qos: 1, id: 'c-1', messages: Array.from({ length: 101 }, (_, i) => ({ controller: 'monitor', topic: `t${i}`, data: i })) }),
    JSON.stringify({ action: 'publish', qos: 1, id: 'c-1', messages: [{ controller: 'monitor', topic: 't', data: 1 }, { controller: 'monitor', topic: 't', data: 'x'.repeat(70_000) }] }),
  );
  const nested = fc.integer({ min: 10, max: 20_000 }).chain((depth) =>
    fc.constantFrom(
      `${'['.repeat(depth)}${']'.repeat(depth)}`,
      `{"action":"publish","controller":"monitor","topic":"t","data":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
      `{"action":"publish","controller":"monitor","topic":"t","data":${'['.repeat(depth)}`,
    ),
  );
  // Frames that are well formed more often than not, aimed at the victim's ids.
  const wellFormed = fc
    .record({
      action: fc.constantFrom('publish', 'msgack', 'pubrec', 'pubrel', 'subscribe', 'unsubscribe', 'resume', 'ping', 'will', 'disconnect', 'history'),
      controller: fc.constantFrom('sensor', 'monitor', 'boiler', '$presence'),
      topic: fc.oneof({ arbitrary: fc.constantFrom('temp', 'vault', 'alerts'), weight: 3 }, { arbitrary: filter, weight: 1 }),
      data: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.jsonValue({ maxDepth: 3 })),
      qos: fc.constantFrom(0, 1, 2),
      id: fc.constantFrom(...victimIds, 'c-1', 'c-2'),
      ids: fc.array(fc.constantFrom(...victimIds, 'c-1'), { minLength: 1, maxLength: 4 }),
      retain: fc.boolean(),
      // Absent (no field) half the time; else a valid expiry (PROTOCOL §4).
      expiry: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: undefined }),
      limit: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      since: fc.option(fc.integer({ min: 0, max: 4_100_000_000_000 }), { nil: undefined }),
    })
    .map((f) => JSON.stringify(f.action === 'msgack' ? { action: 'msgack', ids: f.ids } : f));
  // PROTOCOL §2 batched publishes, well formed more often than not (1-100 messages, one id).
  const wellFormedBatch = fc
    .record({
      qos: fc.constantFrom(0, 1, 2),
      id: fc.constantFrom(...victimIds, 'c-1', 'c-2'),
      dup: fc.boolean(),
      messages: fc.array(
        fc.record({
          controller: fc.constantFrom('sensor', 'monitor', 'boiler'),
          topic: fc.oneof({ arbitrary: fc.constantFrom('temp', 'vault', 'alerts'), weight: 5 }, { arbitrary: filter, weight: 1 }),
          data: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.jsonValue({ maxDepth: 2 })),
          retain: fc.boolean(),
          expiry: fc.option(fc.integer({ min: 1, max: 86_400 }), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    })
    .map((f) => JSON.stringify({ action: 'publish', ...f }));
  const junk = fc.oneof(fc.string({ unit: 'binary', maxLength: 50 }), fc.constantFrom('', ' ', '\r\n', '|', '||', '{', 'null', '25.3', '"x"', '{}', '[]'));
  return fc.oneof(
    { arbitrary: jsonFrame, weight: 4 },
    { arbitrary: wellFormed, weight: 4 },
    { arbitrary: wellFormedBatch, weight: 2 },
    { arbitrary: textFrame, weight: 4 },
    { arbitrary: textFilterFrame, weight: 1 },
    { arbitrary: junk, weight: 2 },
    { arbitrary: nested, weight: 1 },
    { arbitrary: huge, weight: 1 },
  );
}

/** `history`'s fields (PROTOCOL §10): in range, at the edges, and of the wrong kind. */
function historyFields(anyValue: fc.Arbitrary<unknown>) {
  const time = fc.oneof(fc.integer({ min: 0, max: 4_100_000_000_000 }), fc.constantFrom(-1, 0.5, 1e300, 9_999_999_999_999, 10_000_000_000_000, '1', null), anyValue);
  return {
    limit: fc.oneof(fc.integer({ min: -2, max: 1002 }), fc.constantFrom(0, 1, 1000, 1001, 1.5, '10', null), anyValue),
    since: time,
    before: time,
  };
}
