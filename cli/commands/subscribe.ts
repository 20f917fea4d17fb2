import { connect } from '../../client/node.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { formatMessage } from '../format.js';
import { aborted, CONNECTION_OPTIONS, connectionOptions, countOption, line, qosOption, type Command } from '../options.js';

/** Subscribes to one topic or topic filter (PROTOCOL §8) and prints what comes, under each message's concrete topic (acked by the client library). */
export const subscribe: Command = {
  name: 'subscribe',
  summary: 'Subscribes to a topic or filter (site-1/+/temp, site-1/#) and prints each message (topic, id, qos, dup); --count exits after that many.',
  usage: 'qosgate subscribe [--url <url>] [--controller monitor] --topic <topic|filter> [--qos 0|1|2] [--count <n>]',
  options: {
    ...CONNECTION_OPTIONS,
    controller: { type: 'string', description: 'controller (default monitor)', valueName: 'name' },
    topic: { type: 'string', description: 'topic or filter: + one level, # the rest (required)', valueName: 'name' },
    qos: { type: 'string', description: 'QoS asked and claimed (default 1)', valueName: '0|1|2' },
    count: { type: 'string', description: 'exit after this many messages', valueName: 'n' },
    json: { type: 'boolean', description: 'print each message as JSON' },
  },
  notes: "Examples: qosgate subscribe --topic billing --qos 2 --count 1; qosgate subscribe --topic 'site-1/+/temp'",
  async run(values, _positionals, io) {
    if (typeof values.topic !== 'string') throw new Error('--topic is required');
    const topic = values.topic;
    const qos = qosOption(values.qos, 1);
    const controller = typeof values.controller === 'string' ? values.controller : 'monitor';
    const count = countOption(values.count);
    const client = await connect({ ...connectionOptions(values), qos });
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    client.on(controller, topic, (message) => {
      line(io.stdout, values.json === true ? JSON.stringify(message) : formatMessage(message));
      if (count !== undefined && ++seen >= count) done();
    });
    const log = logConnection(client, io);
    try {
      const granted = await unlessEnded(client.subscribe(controller, topic, { qos }), log);
      line(io.stderr, `subscribed ${controller}/${topic} qos=${granted}`);
      await unlessEnded(Promise.race([finished, aborted(io.signal)]), log);
    } finally {
      await client.close();
    }
    return 0;
  },
};
