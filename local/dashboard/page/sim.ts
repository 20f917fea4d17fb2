/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The seed's three Putty windows, in the page: a sensor and monitors that are ordinary qosgate
 * clients (client/index.ts, the browser entry, over the native WebSocket), so what the page
 * shows is what any client gets.
 *
 * Auto-ack: a monitor is made with the library's `autoAck: false` and acks with `client.ack(id)`
 * itself while its auto-ack box is ticked; unticked, nothing is acked and the server resends
 * (`dup: true`) until the person presses "ack" for that id.
 */
import { connect, createClient, type InboundMessage, type QosgateClient } from '../../../client/index.js';

export interface SimSensor {
  kind: 'sensor';
  clientId: string;
  client: QosgateClient;
  sent: number;
  value: number;
  timer: ReturnType<typeof setInterval> | undefined;
}

export interface Unacked {
  data: unknown;
  /** How often it arrived (the first send and every resend). */
  arrivals: number;
}

export interface SimMonitor {
  kind: 'monitor';
  clientId: string;
  client: QosgateClient;
  /** What it claimed at connect: 1, or 0 for none. */
  qos: 0 | 1;
  autoAck: boolean;
  received: number;
  last: InboundMessage | undefined;
  /** QoS 1 messages not acked yet, by id, in arrival order. */
  unacked: Map<string, Unacked>;
}

export type SimClient = SimSensor | SimMonitor;

const SENSOR_EVERY_MS = 2000;

export class Simulation {
  readonly clients: SimClient[] = [];

  constructor(
    private readonly url: string,
    private readonly changed: () => void,
    private readonly failed: (error: unknown) => void,
  ) {}

  /** The seed's sensor: a temperature to sensor/temp (QoS 0, like `sensor|temp|25.3`) now and every 2 s. */
  async startSensor(): Promise<void> {
    const clientId = newClientId('dash-sensor');
    const client = await connect({ url: this.url, controllers: ['sensor'], clientId });
    client.events.on('error', (e) => this.failed(e));
    const sensor: SimSensor = { kind: 'sensor', clientId, client, sent: 0, value: 21 + Math.random() * 4, timer: undefined };
    const read = (): void => {
      sensor.value = Math.round((sensor.value + (Math.random() - 0.5) * 0.8) * 10) / 10;
      sensor.sent++;
      client.publish('sensor', 'temp', sensor.value).catch((e: unknown) => this.failed(e));
      this.changed();
    };
    sensor.timer = setInterval(read, SENSOR_EVERY_MS);
    this.clients.push(sensor);
    read();
  }

  /** A monitor claiming QoS 1, or nothing (everything then arrives once, QoS 0). */
  async openMonitor(qos: 0 | 1): Promise<void> {
    const clientId = newClientId(qos === 1 ? 'dash-monitor-q1' : 'dash-monitor-q0');
    const client = createClient({ url: this.url, controllers: ['monitor'], clientId, autoAck: false, ...(qos === 1 ? { qos: 1 as const } : {}) });
    const monitor: SimMonitor = { kind: 'monitor', clientId, client, qos, autoAck: true, received: 0, last: undefined, unacked: new Map() };
    client.events.on('error', (e) => this.failed(e));
    client.on('*', '*', (message) => {
      monitor.received++;
      monitor.last = message;
      if (message.qos > 0 && message.id !== undefined) {
        if (monitor.autoAck) client.ack(message.id);
        else {
          const seen = monitor.unacked.get(message.id);
          if (seen) seen.arrivals++;
          else monitor.unacked.set(message.id, { data: message.data, arrivals: 1 });
        }
      }
      this.changed();
    });
    await client.open();
    this.clients.push(monitor);
    this.changed();
  }

  /** Ticking auto-ack again acks what is waiting. */
  setAutoAck(clientId: string, on: boolean): void {
    const monitor = this.monitor(clientId);
    if (!monitor) return;
    monitor.autoAck = on;
    if (on) for (const id of [...monitor.unacked.keys()]) this.ack(clientId, id);
    this.changed();
  }

  /** `msgack` for one id, as the seed's Putty user types `monitor|msgack|<id>`. */
  ack(clientId: string, id: string): void {
    const monitor = this.monitor(clientId);
    if (!monitor) return;
    monitor.client.ack(id);
    monitor.unacked.delete(id);
    this.changed();
  }

  async close(clientId: string): Promise<void> {
    const index = this.clients.findIndex((c) => c.clientId === clientId);
    const client = this.clients[index];
    if (!client) return;
    this.clients.splice(index, 1);
    if (client.kind === 'sensor') clearInterval(client.timer);
    this.changed();
    await client.client.close();
  }

  /** The page's monitor that owns `sessionId` (its clientId), if any. */
  monitor(sessionId: string): SimMonitor | undefined {
    const found = this.clients.find((c) => c.clientId === sessionId);
    return found?.kind === 'monitor' ? found : undefined;
  }
}

function newClientId(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 6)}`;
}
