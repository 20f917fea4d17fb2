import { connect } from '../../client/node.js';
import { redactUrl } from '../../client/url.js';
import { logConnection, unlessEnded } from '../connection-log.js';
import { formatMessage } from '../format.js';
import { aborted, CONNECTION_OPTIONS, connectionOptions, countOption, line, qosOption, type Command } from '../options.js';

/**
 * The seed's monitor: opens the `monitor` controller (the sensor controller invokes it) and
 * prints each message with its id, QoS and dup flag. It acks by itself; with --no-ack it
 * answers nothing, so a person watches the server resend (dup=true) until the message is
 * dead-lettered.
 */
export const monitor: Command = {
  name: 'monitor',
  summary: 'Prints what arrives on the monitor controller (id, qos, dup) and acks it, unless --no-ack.',
  usage: 'qosgate monitor [--url <url>] [--qos 0|1|2] [--no-ack] [--subscribe <topic>]...',
  options: {
    ...CONNECTION_OPTIONS,
    qos: { type: 'string', description: 'the QoS this monitor claims (default 1)', valueName: '0|1|2' },
    'no-ack': { type: 'boolean', description: 'answer nothing (no msgack, pubrec): watch the resends' },
    controller: { type: 'string', description: 'controller to open (default monitor)', valueName: 'name' },
    subscribe: { type: 'string', multiple: true, description: 'also subscribe to this topic of the controller (repeatable)', valueName: 'topic' },
    count: { type: 'string', description: 'exit after this many messages', valueName: 'n' },
    json: { type: 'boolean', description: 'print each message as JSON' },
  },
  notes: 'Example: qosgate monitor --qos 2 --no-ack      (in another terminal: qosgate sensor)',
  async run(values, _positionals, io) {
    const qos = qosOption(values.qos, 1);
    const controller = typeof values.controller === 'string' ? values.controller : 'monitor';
    const count = countOption(values.count);
    const noAck = values['no-ack'] === true;
    const client = await connect({ ...connectionOptions(values), qos, controllers: [controller], autoAck: !noAck });
    let seen = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    client.on('*', '*', (message) => {
      line(io.stdout, values.json === true ? JSON.stringify(message) : formatMessage(message));
      if (count !== undefined && ++seen >= count) done();
    });
    if (noAck) {
      // The QoS 2 steps are shown too, as nothing answers them.
      client.events.on('frameIn', (frame) => {
        if (frame.includes('"type":"pubrel"')) line(io.stdout, `pubrel ${(JSON.parse(frame) as { id: string }).id}`);
      });
    }
    const log = logConnection(client, io);
    try {
      for (const topic of (values.subscribe as string[] | undefined) ?? []) {
        const granted = await unlessEnded(client.subscribe(controller, topic, { qos }), log);
        line(io.stderr, `subscribed ${controller}/${topic} qos=${granted}`);
      }
      line(io.stderr, `connected ${redactUrl(client.url)}${noAck ? ' (not acking)' : ''}`);
      await unlessEnded(Promise.race([finished, aborted(io.signal)]), log);
    } finally {
      await client.close();
    }
    return 0;
  },
};
