import type { Qos } from './frames.js';

/** The handshake parameters of PROTOCOL §1. */
export interface ConnectParams {
  /** The highest QoS this client handles (absent = 0: everything arrives as QoS 0). */
  qos?: Qos;
  /** Controllers to open at once. */
  controllers?: readonly string[];
  /** A stable identity (1-128 of `A-Za-z0-9._:-`); needed for a persistent session. */
  clientId?: string;
  session?: 'clean' | 'persistent';
  /** A bearer token (in the query string: a browser WebSocket cannot set headers). */
  token?: string;
  /**
   * The last will (PROTOCOL §9): published by the server, as this client's own publish, if the
   * connection ends without `close()` (the client vanished, a timeout, a takeover). Sent as the
   * `will...` query parameters, so it is in place from the first moment of every connection,
   * reconnects included (a `will` frame after the open would leave a window without one).
   */
  will?: WillOption;
}

/** A will as `connect()` takes it: `data` any JSON (default null), `qos` default 0, `retain` default false. */
export interface WillOption {
  controller: string;
  topic: string;
  data?: unknown;
  qos?: Qos;
  retain?: boolean;
}

/**
 * Builds the connect URL exactly as PROTOCOL §1 names the parameters; `format=json` always,
 * as the client reads JSON frames. A parameter already in `url` is replaced, not doubled
 * (the server refuses a parameter given twice with different values; names are
 * case-insensitive there, so `QoS=1` in the URL is the same parameter as `qos`).
 */
export function buildConnectUrl(url: string, params: ConnectParams): string {
  const parsed = new URL(url);
  const remove = (pattern: RegExp): string[] => {
    const values: string[] = [];
    for (const key of [...parsed.searchParams.keys()]) {
      if (!pattern.test(key)) continue;
      values.push(...parsed.searchParams.getAll(key));
      parsed.searchParams.delete(key);
    }
    return values;
  };
  const set = (name: string, value: string | undefined): void => {
    if (value === undefined || value === '') return; // what the URL already says stands
    remove(new RegExp(`^${name}$`, 'i'));
    parsed.searchParams.set(name, value);
  };
  set('qos', params.qos === undefined ? undefined : String(params.qos));
  if (params.controllers && params.controllers.length > 0) {
    // `controller` and `controllers` merge on the server; write one list.
    const inUrl = remove(/^controllers?$/i).flatMap((v) => v.split(',').map((c) => c.trim()));
    parsed.searchParams.set('controllers', [...new Set([...inUrl.filter(Boolean), ...params.controllers])].join(','));
  }
  set('clientId', params.clientId);
  set('session', params.session);
  set('format', 'json');
  set('token', params.token);
  const { will } = params;
  if (will !== undefined) {
    set('willController', will.controller);
    set('willTopic', will.topic);
    // As JSON always, so a string comes back a string (the server reads JSON where it parses).
    if (will.data !== undefined) set('willData', JSON.stringify(will.data));
    set('willQos', will.qos === undefined ? undefined : String(will.qos));
    set('willRetain', will.retain === undefined ? undefined : String(will.retain));
  }
  return parsed.toString();
}

/**
 * The URL as it may be shown or logged: a `token` parameter's value elided (`token=…`), so a
 * bearer token never lands in a terminal's scrollback or a log. Works on any text that holds
 * such a URL (an error message, a log line), not only on a URL alone.
 */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, (_match, name: string) => `${name}…`);
}
