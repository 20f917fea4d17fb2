/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard page: the frame feed (Server-Sent Events) fills the message log and the
 * temperature chart as frames happen; the state (connections, pending, dead letters) is read
 * again after each burst of frames and every second; the simulated clients run here.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { fetchConfig, fetchState, followEvents, type DashboardState, type FeedEvent } from './api.js';
import { TemperatureChart } from './chart.js';
import { loadChartHistory } from './chart-history.js';
import { connect } from '../../../client/index.js';
import { Simulation } from './sim.js';
import { clientCards, connectionRows, deadLetterRows, labelOf, logRow, pendingRows, presenceRows, temperatureReadings, type Labels } from './view.js';

const MAX_LOG_ROWS = 400;
const STATE_EVERY_MS = 1000;

function element<T extends HTMLElement = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (!found) throw new Error(`the page has no ${selector}`);
  return found;
}

async function main(): Promise<void> {
  const config = await fetchConfig();
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/${config.stage}`;
  const { ackTimeoutMs, backoffCapMs, attemptLimit, sweepIntervalMs } = config.policy;
  element('#endpoint').textContent = wsUrl;
  element('#policy').textContent = `resend after ${ackTimeoutMs} ms, doubling to ${backoffCapMs} ms · ${attemptLimit} attempts · sweep every ${sweepIntervalMs} ms`;

  const chart = new TemperatureChart(element('#chart'));
  // PROTOCOL §10: the last hour of readings, over the page's own connection (a monitor opening late sees it).
  void connect({ url: wsUrl, controllers: ['sensor'] })
    .then(async (reader) => {
      try {
        chart.prepend(await loadChartHistory(reader, Date.now()));
      } finally {
        await reader.close();
      }
    })
    .catch((error: unknown) => console.warn('qosgate dashboard: no history for the chart:', error));
  const labels: Labels = new Map();
  let state: DashboardState | undefined;
  /** The server's clock at the last state read, and ours then: the countdowns run between reads. */
  let stateTaken = 0;
  const serverNow = (): number => (state ? state.now + (performance.now() - stateTaken) : Date.now());

  // --- simulated clients -------------------------------------------------------------------
  const clients = element('#clients');
  let cardsHtml = '';
  const renderClients = (): void => {
    const html = clientCards(sim.clients);
    if (html !== cardsHtml) clients.innerHTML = cardsHtml = html;
    renderPending();
  };
  const sim: Simulation = new Simulation(wsUrl, () => renderClients(), (error) => console.warn('qosgate client:', error));
  renderClients();

  const action = (button: string, run: () => Promise<void>): void =>
    element(button).addEventListener('click', () => void run().catch((error: unknown) => alert(`${button}: ${String(error)}`)));
  action('#start-sensor', () => sim.startSensor());
  action('#open-monitor-qos1', () => sim.openMonitor(1));
  action('#open-monitor-qos0', () => sim.openMonitor(0));

  const onControl = (event: Event): void => {
    const target = event.target as HTMLElement;
    const { action: what, client, id } = target.dataset;
    if (!client) return;
    if (what === 'ack' && id !== undefined && event.type === 'click') sim.ack(client, id);
    else if (what === 'close' && event.type === 'click') void sim.close(client);
    else if (what === 'auto-ack' && event.type === 'change') sim.setAutoAck(client, (target as HTMLInputElement).checked);
  };
  for (const container of [clients, element('#pending')]) {
    container.addEventListener('click', onControl);
    container.addEventListener('change', onControl);
  }

  // --- state: connections, pending, dead letters --------------------------------------------
  const canAck = (sessionId: string, id: string): boolean => sim.monitor(sessionId)?.unacked.has(id) ?? false;
  const mine = (sessionId: string): boolean => sim.clients.some((c) => c.clientId === sessionId);
  let pendingHtml = '';
  function renderPending(): void {
    if (!state) return;
    const html = pendingRows(state.pending, serverNow(), canAck);
    if (html !== pendingHtml) element('#pending tbody').innerHTML = pendingHtml = html;
  }
  const renderState = (): void => {
    if (!state) return;
    for (const c of state.connections) {
      if (!c.sessionId || labels.has(c.connectionId)) continue;
      labels.set(c.connectionId, c.sessionId);
      // Rows logged before the clientId was known get it now.
      for (const cell of document.querySelectorAll<HTMLElement>(`#log td[data-conn="${CSS.escape(c.connectionId)}"]`)) cell.insertAdjacentHTML('beforeend', labelOf(c.connectionId, labels));
    }
    element('#connections tbody').innerHTML = connectionRows(state.connections, state.now, mine);
    element('#dead-letters tbody').innerHTML = deadLetterRows(state.deadLetters);
    element('#sink-records').textContent = state.sinkRecords === undefined ? '' : `ingestion sink: ${state.sinkRecords} records written`;
    element('#presence tbody').innerHTML = presenceRows(state.presence, state.now);
    renderPending();
  };

  let reading = false;
  let again = false;
  const readState = async (): Promise<void> => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      state = await fetchState();
      stateTaken = performance.now();
      renderState();
    } catch (error) {
      console.warn('reading the state failed:', error);
    } finally {
      reading = false;
      if (again) {
        again = false;
        void readState();
      }
    }
  };
  let soon: ReturnType<typeof setTimeout> | undefined;
  const readSoon = (): void => {
    soon ??= setTimeout(() => {
      soon = undefined;
      void readState();
    }, 150);
  };
  setInterval(() => void readState(), STATE_EVERY_MS);
  setInterval(renderPending, 250); // the "next resend" countdowns
  void readState();

  // --- the frame feed: message log and chart ------------------------------------------------
  const log = element<HTMLTableSectionElement>('#log tbody');
  const onEvent = (event: FeedEvent): void => {
    log.insertAdjacentHTML('afterbegin', logRow(event, labels));
    while (log.rows.length > MAX_LOG_ROWS) log.deleteRow(-1);
    const f = event.kind === 'in' ? event.frame : undefined;
    for (const reading of temperatureReadings(f)) chart.add(event.at, reading);
    readSoon();
  };
  const live = element('#live');
  followEvents(onEvent, (open) => {
    live.textContent = open ? 'live' : 'reconnecting…';
    live.classList.toggle('off', !open);
  });
}

main().catch((error: unknown) => {
  document.body.insertAdjacentHTML('afterbegin', `<pre class="error">The dashboard failed to start: ${String(error)}</pre>`);
});
