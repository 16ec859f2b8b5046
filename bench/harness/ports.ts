// Free loopback ports: listen on port 0, read what the OS chose, close, hand the number to a child.
//
// Hazard: between close() and the child's bind another process may take the port. The window is short
// and the harness reads the service's real endpoints from its "logdriver started" line, so a lost race
// shows up as a clear start failure, never as traffic to the wrong process.
import { createServer, type Server } from 'node:net';

export const LOOPBACK = '127.0.0.1';

function listenOnZero(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => resolve(server));
  });
}

/**
 * `n` distinct ports that were free on `host` a moment ago. All are held open together while picking,
 * so the OS cannot hand the same port out twice within one call.
 */
export async function freePorts(n: number, host = LOOPBACK): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) servers.push(await listenOnZero(host));
    return servers.map((s) => {
      const a = s.address();
      if (a === null || typeof a !== 'object' || a.port <= 0) throw new Error('no port assigned');
      return a.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** One port that was free on `host` a moment ago. */
export async function freePort(host = LOOPBACK): Promise<number> {
  const [port] = await freePorts(1, host);
  return port!;
}
