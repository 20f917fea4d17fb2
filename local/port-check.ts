import { createServer } from 'node:net';

/** Something else listens on the port the runtime was asked to use. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(`port ${port} on ${host} is already in use by another process (\`ss -ltnp 'sport = :${port}'\` shows which). Stop it, or choose another port with --port N.`);
  }
}

/**
 * Resolves if `host:port` can be listened on right now, by listening and closing at once;
 * rejects with PortInUseError if it is taken (and with the system's error if the address is not
 * one of this machine's). Run before DynamoDB Local starts, so a start that cannot serve stops
 * before it has touched anything.
 */
export function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(host, port));
      else if (error.code === 'EADDRNOTAVAIL') reject(new Error(`cannot listen on ${host}: it is not an address of this machine (--host)`));
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** A port nothing listens on right now on `host` (the OS picks it). */
export function freePortOn(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error(`no free port on ${host}`))));
    });
  });
}
