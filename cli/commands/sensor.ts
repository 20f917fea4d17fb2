import { connect } from '../../client/node.js';
import { redactUrl } from '../../client/url.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { aborted, CONNECTION_OPTIONS, connectionOptions, countOption, line, parseDuration, qosOption, type Command } from '../options.js';

/**
 * The seed's sensor: a temperature that wanders a little, published to `sensor`/`temp` every
 * interval. The sample `sensor` controller hands each reading to every `monitor` at QoS 1.
 */
export const sensor: Command = {
  name: 'sensor',
  summary: 'Publishes temperature readings, like the seed\'s sensor (to sensor/temp; the sensor controller hands them to every monitor at QoS 1).',
  usage: 'qosgate sensor [--url <url>] [--every 1s] [--qos 0|1|2] [--count <n>]',
  options: {
    ...CONNECTION_OPTIONS,
    every: { type: 'string', description: 'interval between readings (default 1s; 500ms, 2m ...)', valueName: 'duration' },
    qos: { type: 'string', description: 'QoS of each publish (default 0, as the seed\'s sensor)', valueName: '0|1|2' },
    count: { type: 'string', description: 'stop after this many readings (default: until Ctrl-C)', valueName: 'n' },
    start: { type: 'string', description: 'first reading (default 21.0)', valueName: 'celsius' },
    controller: { type: 'string', description: 'controller to publish to (default sensor)', valueName: 'name' },
    topic: { type: 'string', description: 'topic (default temp)', valueName: 'name' },
  },
  notes: 'Example: qosgate sensor --every 500ms --count 10',
  async run(values, _positionals, io) {
    const every = parseDuration(typeof values.every === 'string' ? values.every : '1s');
    const qos = qosOption(values.qos, 0);
    const count = countOption(values.count);
    const controller = typeof values.controller === 'string' ? values.controller : 'sensor';
    const topic = typeof values.topic === 'string' ? values.topic : 'temp';
    let celsius = typeof values.start === 'string' ? Number(values.start) : 21;
    if (!Number.isFinite(celsius)) throw new Error('--start must be a number');

    const client = await connect({ ...connectionOptions(values), qos, controllers: [controller] });
    line(io.stderr, `connected ${redactUrl(client.url)}`);
    const log = logConnection(client, io);
    try {
      for (let sent = 0; count === undefined || sent < count; sent++) {
        if (sent > 0) await unlessEnded(Promise.race([new Promise((r) => setTimeout(r, every)), aborted(io.signal)]), log);
        if (io.signal.aborted) break;
        // A small random walk, one decimal, as a real room would drift.
        celsius = Math.round((celsius + (Math.random() - 0.5)) * 10) / 10;
        const reading = celsius;
        await unlessEnded(Promise.race([client.publish(controller, topic, reading, { qos }), aborted(io.signal)]), log);
        if (io.signal.aborted) break;
        line(io.stdout, `sent ${controller}/${topic} ${reading} qos=${qos}`);
      }
    } finally {
      await client.close();
    }
    return 0;
  },
};
