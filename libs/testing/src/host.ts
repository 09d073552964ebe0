/** What tests ask of this host: a port nothing listens on, what a process has read. */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that nothing listens on (a storage door that is down). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Bytes a process has read so far (every read syscall, sockets and pipes included): rchar of /proc/<pid>/io. */
export async function bytesRead(pid: number | 'self'): Promise<number> {
  const io = await readFile(`/proc/${pid}/io`, 'utf8');
  return Number(/^rchar:\s*(\d+)/m.exec(io)![1]);
}
