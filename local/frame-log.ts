import { parseFrame } from '../lambdas/core/frames/parse-frame.js';
import type { CloseDetail, ConnectDetail, ConnectionIdentity, DisconnectInfo, GatewayErrorContext, GatewayObserver, HandshakeRefusal } from './gateway/types.js';

/**
 * The seed's message interceptor (XSockets `IMessageInterceptor`: "In: {@m}" / "Out: {@m}"),
 * for the local runtime: one line per frame in and out, and one per connect, refusal, close and
 * takeover, so what a client was told (a 400's reason, a 1009) is in the runtime's log too.
 * It is the gateway's observer (local/gateway/types.ts GatewayObserver) plus `note`.
 */
export interface FrameLog extends GatewayObserver {
  frameIn(connectionId: string, data: string): void;
  frameOut(connectionId: string, data: string): void;
  note(message: string): void;
}

/** Longer frames are cut here (the rest is counted): a 30 KB payload would bury the log. */
const MAX_SHOWN = 300;

/** Shortens a connection id the way a person can still tell them apart. */
function who(connectionId: string | undefined): string {
  if (connectionId === undefined) return '-';
  return connectionId.length > 8 ? connectionId.slice(0, 8) : connectionId;
}

/** The text exactly as it crossed the socket, cut when long. */
function asSent(data: string): string {
  return data.length > MAX_SHOWN ? `${data.slice(0, MAX_SHOWN)}... (${data.length} characters)` : data;
}

/** An incoming frame as sent; a text frame (PROTOCOL §6) also with what it means. */
function describeIn(data: string): string {
  if (data.trimStart().startsWith('{')) return asSent(data);
  try {
    const command = parseFrame(data, { maxDataBytes: Number.MAX_SAFE_INTEGER });
    return `${asSent(data)}  ${asSent(JSON.stringify(command))}`;
  } catch {
    return asSent(data);
  }
}

/** A query string for the log, with the token's value hidden (it is a credential). */
function describeQuery(query: Record<string, string>): string {
  const shown = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) shown.append(name, name.toLowerCase() === 'token' ? '***' : value);
  const text = shown.toString();
  return text === '' ? '(no query)' : `?${text}`;
}

/** The clientId a handshake asked for (PROTOCOL §1: parameter names are case-insensitive). */
function clientIdOf(query: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(query)) if (name.toLowerCase() === 'clientid' && value !== '') return value;
  return undefined;
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${ms / 1000} s`;
  return `${ms} ms`;
}

/** Who ended a connection and why, in words (the close code alone is ambiguous: 1001 is three things). */
function explain(info: DisconnectInfo, detail: CloseDetail | undefined): string {
  const limit = detail?.limitMs !== undefined ? duration(detail.limitMs) : undefined;
  switch (detail?.cause) {
    case undefined:
      return '';
    case 'client':
      return info.statusCode === 1005 ? 'the client left without a close status' : 'closed by the client';
    case 'frameTooLarge':
      return 'closed by the gateway: a frame over API Gateway\'s 32 KB limit';
    case 'messageTooLarge':
      return 'closed by the gateway: a message over API Gateway\'s 128 KB limit';
    case 'binaryFrame':
      return 'closed by the gateway: a binary frame (API Gateway takes text frames only)';
    case 'invalidUtf8':
      return 'closed by the gateway: a text frame that is not UTF-8';
    case 'protocolError':
      return 'closed by the gateway: a WebSocket protocol error';
    case 'idle':
      return `closed by the gateway: idle for ${limit} (API Gateway's idle timeout)`;
    case 'maxDuration':
      return `closed by the gateway: open for ${limit} (API Gateway's connection duration limit)`;
    case 'deleted':
      return 'closed by a handler (DELETE @connections)';
    case 'shutdown':
      return 'the runtime is stopping';
  }
}

/** The connection whose `$connect` closed this one to take over its clientId (MQTT [MQTT-3.1.4-2]), if any. */
function takeoverBy(detail: CloseDetail | undefined): { connectionId: string; clientId: string } | undefined {
  if (detail?.cause !== 'deleted') return undefined;
  const clientId = clientIdOf(detail.query);
  if (clientId === undefined) return undefined;
  const newer = detail.deletedDuringConnectOf?.find((other) => clientIdOf(other.query) === clientId);
  return newer ? { connectionId: newer.connectionId, clientId } : undefined;
}

function time(): string {
  return new Date().toISOString().slice(11, 23);
}

/** Writes the log lines to a stream (stdout by default). */
export function consoleFrameLog(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): FrameLog {
  const line = (text: string): void => write(`${time()} ${text}`);
  return {
    frameIn: (connectionId, data) => line(`In:  ${who(connectionId)} ${describeIn(data)}`),
    // The exact string posted: keys in their order, and whatever JSON.parse would change (1e999).
    frameOut: (connectionId, data) => line(`Out: ${who(connectionId)} ${asSent(data)}`),
    connected: (connectionId: string, identity: ConnectionIdentity, detail?: ConnectDetail) =>
      line(`Connected:    ${who(connectionId)} ${describeQuery(detail?.query ?? {})} from ${identity.sourceIp}`),
    refused: (refusal: HandshakeRefusal) =>
      line(`Refused:      ${who(refusal.connectionId)} ${refusal.statusCode} ${refusal.body} (by ${refusal.by === 'gateway' ? 'the gateway' : refusal.by === 'authorizer' ? 'the authorizer' : '$connect'}) ${describeQuery(refusal.query)}`),
    disconnected: (connectionId: string, info: DisconnectInfo, detail?: CloseDetail) => {
      const takeover = takeoverBy(detail);
      if (takeover) {
        line(`Takeover:     ${who(connectionId)} closed (${info.statusCode}): clientId ${takeover.clientId} connected again as ${who(takeover.connectionId)}`);
        return;
      }
      const why = explain(info, detail);
      line(`Disconnected: ${who(connectionId)} ${info.statusCode}${info.reason === '' ? '' : ` ${info.reason}`}${why === '' ? '' : `: ${why}`}`);
    },
    error: (error: unknown, context: GatewayErrorContext) =>
      line(`Error:        ${who(context.connectionId)} ${context.phase}${context.routeKey ? ` ${context.routeKey}` : ''}: ${error instanceof Error ? error.message : String(error)}`),
    note: (message) => line(message),
  };
}

export const silentFrameLog: FrameLog = { frameIn: () => {}, frameOut: () => {}, note: () => {} };
