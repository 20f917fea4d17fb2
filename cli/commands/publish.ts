import { connect } from '../../client/node.js';
import { splitBatches } from '../../client/publish-batch.js';
import { parseBatchLines, readBatchSource } from '../batch-file.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { aborted, CONNECTION_OPTIONS, connectionOptions, expiryOption, line, parseData, qosOption, type Command, type Io, type Values } from '../options.js';

/** One publish, waiting for its answer at QoS 1 (msgack) and 2 (completion). */
export const publish: Command = {
  name: 'publish',
  summary: 'Publishes one message and waits for the answer its QoS asks for (QoS 1: msgack; QoS 2: pubrec, pubrel, msgack).',
  usage: 'qosgate publish [--url <url>] [--controller sensor] [--topic temp] [--qos 0|1|2] [--retain] [--expiry <seconds>] <data> | --batch <file.jsonl|->',
  options: {
    ...CONNECTION_OPTIONS,
    controller: { type: 'string', description: 'controller (default sensor)', valueName: 'name' },
    topic: { type: 'string', description: 'topic (default temp)', valueName: 'name' },
    qos: { type: 'string', description: 'QoS of the publish (default 1)', valueName: '0|1|2' },
    retain: { type: 'boolean', description: 'keep as the topic\'s last value' },
    expiry: { type: 'string', description: 'seconds after which nobody is sent it (1 to the message TTL; docs/protocol.md §4)', valueName: 'seconds' },
    data: { type: 'string', description: 'the data (or as the argument); JSON where it parses, else a string', valueName: 'data' },
    batch: {
      type: 'string',
      description: 'publish every line of a JSON-lines file (- for stdin) as batched publishes (docs/protocol.md §2: up to 100 a frame); a line {"controller","topic","data","retain","expiry"} or just the data',
      valueName: 'file.jsonl|-',
    },
  },
  notes: "Examples: qosgate publish 25.3\n          qosgate publish --controller monitor --topic billing --qos 2 '{\"cents\":995}'\n          qosgate publish --controller monitor --topic site-1/temp --batch readings.jsonl",
  async run(values, positionals, io) {
    if (typeof values.batch === 'string') return publishBatchFile(values, values.batch, io);
    const text = typeof values.data === 'string' ? values.data : positionals.join(' ');
    if (text === '') throw new Error('no data: give it as the argument or with --data');
    const qos = qosOption(values.qos, 1);
    const expiry = expiryOption(values.expiry);
    const controller = typeof values.controller === 'string' ? values.controller : 'sensor';
    const topic = typeof values.topic === 'string' ? values.topic : 'temp';
    const client = await connect({ ...connectionOptions(values), qos });
    const log = logConnection(client, io);
    try {
      await unlessEnded(Promise.race([client.publish(controller, topic, parseData(text), { qos, retain: values.retain === true, ...(expiry !== undefined ? { expiry } : {}) }), aborted(io.signal)]), log);
      if (io.signal.aborted) return 130;
      const expires = expiry !== undefined ? ` expiry=${expiry}` : '';
      line(io.stdout, `published ${controller}/${topic} qos=${qos}${expires}${qos === 0 ? '' : qos === 1 ? ' (msgack)' : ' (complete)'}`);
      return 0;
    } finally {
      await client.close();
    }
  },
};

/** `--batch`: every line of the file as batched publishes (client publishMany), waiting for every frame's answer. */
async function publishBatchFile(values: Values, source: string, io: Io): Promise<number> {
  const qos = qosOption(values.qos, 1);
  const defaults = { controller: typeof values.controller === 'string' ? values.controller : 'sensor', topic: typeof values.topic === 'string' ? values.topic : 'temp' };
  const messages = parseBatchLines(await readBatchSource(source, io.stdin), defaults);
  const client = await connect({ ...connectionOptions(values), qos });
  const log = logConnection(client, io);
  try {
    await unlessEnded(Promise.race([client.publishMany(messages, { qos }), aborted(io.signal)]), log);
    if (io.signal.aborted) return 130;
    const frames = splitBatches(messages).length;
    line(io.stdout, `published ${messages.length} messages in ${frames} frame${frames === 1 ? '' : 's'} qos=${qos}${qos === 0 ? '' : qos === 1 ? ' (msgack)' : ' (complete)'}`);
    return 0;
  } finally {
    await client.close();
  }
}
