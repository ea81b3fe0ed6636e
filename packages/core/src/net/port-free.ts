import { createSocket } from 'node:dgram';
import { LanrageError } from '../errors.js';

/** Whether a UDP socket can bind `port` on `address` right now (binds and closes at once). */
function canBind(type: 'udp4' | 'udp6', port: number): Promise<boolean | null> {
  return new Promise((resolve) => {
    const socket = createSocket({ type, ipv6Only: type === 'udp6' });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      socket.close();
      // No IPv6 on this host is not a clash.
      resolve(err.code === 'EADDRINUSE' ? false : null);
    });
    socket.bind({ port, address: type === 'udp4' ? '0.0.0.0' : '::', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

/**
 * PORT_IN_USE when another socket holds UDP `port`, as the interface would find when it is
 * given that port: what a dry run checks so it never succeeds where the real change fails.
 * Touches no device (a socket of this process, closed at once).
 */
export async function checkListenPortFree(port: number): Promise<void> {
  const [v4, v6] = await Promise.all([canBind('udp4', port), canBind('udp6', port)]);
  if (v4 === false || v6 === false) {
    throw new LanrageError('PORT_IN_USE', `UDP port ${port} is used by another program or interface`);
  }
}
