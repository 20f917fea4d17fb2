import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { messageBody, refuseHandshake, sendHttp } from './responses.js';

/**
 * The one HTTP server behind both URLs: WebSocket upgrades on `/{stage}` and the management API
 * on `/{stage}/@connections/{id}`. Until `ready` is called (the routes are being built), both
 * answer 503. Whatever else arrives gets 403 `{"message":"Forbidden"}`, as API Gateway answers a
 * path it does not know (unless the gateway's `httpFallback`, the local dashboard, answers it).
 */
export interface GatewayHttpServer {
  server: Server;
  /** Starts serving with these handlers. */
  ready(handlers: HttpHandlers): void;
  /** Listens; resolves with the port (useful with port 0). */
  listen(host: string, port: number): Promise<number>;
  /** Stops listening, drops idle and remaining keep-alive connections, resolves when closed. */
  close(): Promise<void>;
}

export interface HttpHandlers {
  /** Answers the request and returns true, or returns false when it is not its path. */
  request(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Where errors of the server itself go. */
  error(error: unknown): void;
}

export function createGatewayHttpServer(): GatewayHttpServer {
  let handlers: HttpHandlers | undefined;
  const server = createServer((req, res) => {
    const current = handlers;
    if (!current) return sendHttp(res, 503, messageBody('Service Unavailable'));
    current
      .request(req, res)
      .then((handled) => {
        if (!handled) {
          req.resume();
          sendHttp(res, 403, messageBody('Forbidden'));
        }
      })
      .catch((error: unknown) => {
        current.error(error);
        sendHttp(res, 500, messageBody('Internal server error'));
      });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!handlers) return refuseHandshake(socket, 503, messageBody('Service Unavailable'));
    try {
      handlers.upgrade(req, socket, head);
    } catch (error) {
      handlers.error(error);
      socket.destroy();
    }
  });
  // A malformed request must not surface as an unhandled 'error'.
  server.on('clientError', (error, socket) => {
    handlers?.error(error);
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('error', (error) => handlers?.error(error));

  return {
    server,
    ready: (h) => {
      handlers = h;
    },
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address();
          if (address && typeof address === 'object') resolve(address.port);
          else reject(new Error('the gateway server has no port'));
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        // Keep-alive sockets of SDK clients must not hold the close open.
        server.closeAllConnections();
      }),
  };
}
