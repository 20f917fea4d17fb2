/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/** HTML for the page's tables and cards: plain strings, every value escaped. */
import type { ConnectionView, DeadLetterView, FeedEvent, PendingView, PresenceView } from './api.js';
import type { SimClient } from './sim.js';

export function esc(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A connection id as the console log shows it (8 characters). */
export const short = (connectionId: string | undefined): string => (connectionId ?? '').slice(0, 8);

const none = (columns: number, text = 'none'): string => `<tr><td class="none" colspan="${columns}">${text}</td></tr>`;

/** Who a connection is, for the log: its clientId (or session) where known. */
export type Labels = Map<string, string>;

export function connectionRows(connections: ConnectionView[], now: number, mine: (sessionId: string) => boolean): string {
  if (connections.length === 0) return none(6, 'no connections');
  return connections
    .map((c) => {
      const who = c.sessionId ? `${esc(c.sessionId)}${mine(c.sessionId) ? ' <span class="mine">(this page)</span>' : ''}` : '<i>connecting…</i>';
      return `<tr data-connection="${esc(c.connectionId)}"><td title="${esc(c.connectionId)}">${esc(short(c.connectionId))}</td><td>${who}</td><td>${esc(c.sessionKind)}</td><td>${c.claimedQos ?? ''}</td><td>${esc((c.controllers ?? []).join(', '))}</td><td>${Math.round((now - c.connectedAt) / 1000)} s ago</td></tr>`;
    })
    .join('');
}

/** `canAck(sessionId, id)`: a page monitor holds this message unacked (it gets an ack button). */
export function pendingRows(pending: PendingView[], now: number, canAck: (sessionId: string, id: string) => boolean): string {
  if (pending.length === 0) return none(8, 'nothing pending');
  return pending
    .map((p) => {
      const inMs = p.dueAt - now;
      const due = p.parked
        ? `parked (dead-letter in ${Math.round(inMs / 1000)} s)`
        : p.held
          ? 'held: sent when acks free room (flow control)'
          : inMs > 0
            ? `in ${(inMs / 1000).toFixed(1)} s`
            : 'due now';
      const button = canAck(p.sessionId, p.id) ? `<button class="ack" data-action="ack" data-client="${esc(p.sessionId)}" data-id="${esc(p.id)}">ack</button>` : '';
      const step = p.qos === 2 ? (p.state === 'sent' ? 'awaiting pubrec' : 'pubrel, awaiting msgack') : 'awaiting msgack';
      return `<tr class="${inMs <= 0 ? 'overdue' : ''}" data-pending="${esc(p.id)}" data-attempts="${p.attempts}"><td>${esc(p.sessionId)}</td><td>${esc(p.id)}</td><td>${p.qos}</td><td>${step}</td><td class="attempts">${p.attempts}</td><td class="due">${due}</td><td>${esc(p.data)}</td><td>${button}</td></tr>`;
    })
    .join('');
}

/** PROTOCOL §9: who is online, and who left, when and why (the retained $presence values). */
export function presenceRows(presence: PresenceView[], now: number): string {
  if (presence.length === 0) return none(4, 'nobody seen yet');
  return presence
    .map((p) => {
      const since = `${Math.round((now - p.at) / 1000)} s ago`;
      const status = p.online ? '<span class="online">online</span>' : `<span class="offline">offline</span>${p.reason ? ` (${esc(p.reason)})` : ''}`;
      return `<tr data-presence="${esc(p.sessionId)}" class="${p.online ? 'online' : 'offline'}"><td>${esc(p.sessionId)}</td><td>${status}</td><td>${since}</td><td title="${esc(p.connectionId)}">${esc(short(p.connectionId))}</td></tr>`;
    })
    .join('');
}

export function deadLetterRows(letters: DeadLetterView[]): string {
  if (letters.length === 0) return none(7, 'no dead letters');
  return letters
    .map((l) => `<tr><td>${esc(l.sessionId)}</td><td>${esc(l.id)}</td><td>${l.qos}</td><td>${l.attempts}</td><td>${esc(l.reason)}</td><td>${clock(l.deadAt)}</td><td>${esc(l.data)}</td></tr>`)
    .join('');
}

/** The `<small>` label after a connection id, once its clientId is known. */
export function labelOf(connectionId: string, labels: Labels): string {
  const label = labels.get(connectionId);
  return label === undefined ? '' : ` <small>${esc(label)}</small>`;
}

/** One row of the message log, like the seed's `In: {@m}` / `Out: {@m}` lines. */
export function logRow(event: FeedEvent, labels: Labels): string {
  const who = `<td data-conn="${esc(event.connectionId)}" title="${esc(event.connectionId)}">${esc(short(event.connectionId))}${labelOf(event.connectionId, labels)}</td>`;
  if (event.kind === 'connected' || event.kind === 'disconnected') {
    const what = event.kind === 'connected' ? `connected from ${event.sourceIp}` : `disconnected (${event.statusCode} ${event.reason})`;
    return `<tr class="note"><td>${clock(event.at)}</td><td></td>${who}<td colspan="6">${esc(what)}</td></tr>`;
  }
  const f = event.frame;
  const dir = event.kind === 'in' ? 'In:' : 'Out:';
  if (!f) return `<tr class="${event.kind}"><td>${clock(event.at)}</td><td>${dir}</td>${who}<td colspan="6">${esc(event.raw)}</td></tr>`;
  const what = String(f.action ?? f.type ?? (f.message !== undefined ? 'gateway' : '?'));
  const classes: string[] = [event.kind];
  if (f.dup === true) classes.push('dup');
  if (what === 'msgack') classes.push('ack');
  if (what === 'pubrec' || what === 'pubrel') classes.push('step');
  if (what === 'error' || f.message !== undefined) classes.push('error');
  const ids = Array.isArray(f.ids) ? f.ids.join(', ') : f.id;
  // A batched publish (PROTOCOL §2 `messages`): how many, and the first message's target.
  const batch = Array.isArray(f.messages) ? (f.messages as Array<Record<string, unknown>>) : undefined;
  const first = batch?.[0];
  const target = batch
    ? `${batch.length} messages${first ? `: ${String(first.controller)}/${String(first.topic ?? '')}${batch.length > 1 ? ', …' : ''}` : ''}`
    : f.controller !== undefined
      ? `${String(f.controller)}/${String(f.topic ?? '')}`
      : '';
  const data = what === 'error' ? `${String(f.code)}: ${String(f.message)}` : batch ? first?.data : f.data;
  const shown = f.text === true ? `${event.raw}` : what;
  return `<tr class="${classes.join(' ')}" data-what="${esc(what)}" data-id="${esc(ids)}" data-dup="${f.dup === true}"><td>${clock(event.at)}</td><td>${dir}</td>${who}<td>${esc(shown)}</td><td>${esc(target)}</td><td>${esc(data)}</td><td>${f.qos ?? ''}</td><td>${esc(ids)}</td><td>${f.dup === undefined ? '' : String(f.dup)}</td></tr>`;
}

/** The page's simulated clients, with their controls. */
export function clientCards(clients: SimClient[]): string {
  if (clients.length === 0) return '<p class="hint">No simulated clients yet.</p>';
  return clients
    .map((c) => {
      const close = `<button data-action="close" data-client="${esc(c.clientId)}">close</button>`;
      if (c.kind === 'sensor') {
        return `<div class="card sensor" data-client="${esc(c.clientId)}"><div class="head"><b>sensor</b><span class="grow">${esc(c.clientId)} · ${c.sent} readings · last ${c.value} °C</span>${close}</div></div>`;
      }
      const last = c.last ? ` · last ${esc(c.last.data)} (qos ${c.last.qos}${c.last.dup ? ', dup' : ''})` : '';
      const ack =
        c.qos === 1
          ? `<label><input type="checkbox" class="auto-ack" data-action="auto-ack" data-client="${esc(c.clientId)}"${c.autoAck ? ' checked' : ''}> auto-ack</label>`
          : '<span class="hint">claims no QoS: nothing to ack</span>';
      const waiting = [...c.unacked]
        .map(([id, u]) => `<li>${esc(id)} · ${esc(u.data)} · arrived ${u.arrivals}× <button class="ack" data-action="ack" data-client="${esc(c.clientId)}" data-id="${esc(id)}">ack</button></li>`)
        .join('');
      return `<div class="card monitor" data-client="${esc(c.clientId)}"><div class="head"><b>monitor</b><span class="grow">${esc(c.clientId)} · ${c.qos === 1 ? 'claims QoS 1' : 'no QoS'} · ${c.received} received${last}</span>${ack}${close}</div>${waiting ? `<ul class="unacked">${waiting}</ul>` : ''}</div>`;
    })
    .join('');
}

/**
 * The sensor/temp readings an inbound frame carries, for the chart: a single publish's number,
 * or each of a batched publish's (PROTOCOL §2 `messages`) in order.
 */
export function temperatureReadings(frame: Record<string, unknown> | undefined): number[] {
  if (!frame || frame.action !== 'publish') return [];
  const isReading = (m: Record<string, unknown>) => m.controller === 'sensor' && m.topic === 'temp' && typeof m.data === 'number';
  if (Array.isArray(frame.messages)) {
    return (frame.messages as unknown[]).filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null && isReading(m as Record<string, unknown>)).map((m) => m.data as number);
  }
  return isReading(frame) ? [frame.data as number] : [];
}
