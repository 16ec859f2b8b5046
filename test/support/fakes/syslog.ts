// A loopback syslog receiver for tests: octet-counted frames (RFC 6587) over TCP or TLS, half-open sockets,
// and a behaviour per connection (by default it reads everything and closes its side when the sender does,
// as rsyslog does, which is what the sink's `confirm: close` waits for).
import net from 'node:net';
import tls from 'node:tls';
import { parseFrames } from '../syslog-parse.js';

export interface Receiver {
  readonly port: number;
  /** Every message received, in arrival order per connection. */
  readonly messages: Buffer[];
  connections: number;
  close(): Promise<void>;
}

export type Behaviour = (socket: net.Socket, receiver: Receiver) => void;

/** Reads octet-counted frames and closes its side when the sender does, as rsyslog does. */
export const wellBehaved: Behaviour = (socket, r) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    const { messages, rest } = parseFrames(Buffer.concat([pending, d]));
    r.messages.push(...messages.map((m) => Buffer.from(m)));
    pending = Buffer.from(rest);
  });
  socket.on('end', () => socket.end());
};

export async function startSyslogReceiver(
  opts: { tls?: tls.TlsOptions; behaviour?: Behaviour; port?: number } = {},
): Promise<Receiver> {
  const sockets = new Set<net.Socket>();
  const r: Receiver = {
    port: 0,
    messages: [],
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const onSocket = (socket: net.Socket): void => {
    r.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    (opts.behaviour ?? wellBehaved)(socket, r);
  };
  // Half-open allowed, so that a receiver closes its side only when its behaviour says so.
  const server = opts.tls
    ? tls.createServer({ ...opts.tls, allowHalfOpen: true }, onSocket)
    : net.createServer({ allowHalfOpen: true }, onSocket);
  server.on('tlsClientError', () => undefined);
  // Raw sockets too (a TLS server reports a socket only after its handshake): close() must end them all.
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  (r as { port: number }).port = (server.address() as net.AddressInfo).port;
  return r;
}
