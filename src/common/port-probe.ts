import { createServer } from 'node:net';

/**
 * Fail fast when the HTTP port is taken: bind it for a moment before the database is opened and
 * migrations run, instead of finding out when the app finally listens. Port 0 (any free port) is
 * never taken. Another process can still grab the port in between; listen then fails the same way.
 */
export async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(portError(port, err)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** The error to report for a failed bind: a plain sentence for the common causes. */
export function portError(port: number, err: NodeJS.ErrnoException): Error {
  if (err.code === 'EADDRINUSE')
    return new Error(`port ${port} is already in use: stop what listens on it, or set PORT to a free port`);
  if (err.code === 'EACCES')
    return new Error(`port ${port} needs privileges this process does not have: set PORT to 1024 or above`);
  return err;
}
