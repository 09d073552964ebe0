import { open } from 'node:fs/promises';

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** Per directory: whether an fsync runs, and who waits for the next one. */
const directories = new Map<string, { running: boolean; waiting: Waiter[] }>();

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function drain(directory: string, state: { running: boolean; waiting: Waiter[] }): Promise<void> {
  state.running = true;
  while (state.waiting.length > 0) {
    const batch = state.waiting.splice(0);
    try {
      await fsyncDirectory(directory);
      for (const w of batch) w.resolve();
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
  state.running = false;
  directories.delete(directory);
}

/**
 * Makes the entries changed in `directory` so far (a rename into place) durable: an fsync of the directory that
 * starts after this call. Callers that come while one runs share the next one (a group commit): a directory
 * receiving many small files gets one fsync per round rather than one per file, each caller still resolved only
 * by an fsync begun after its own change.
 */
export function syncDirectory(directory: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let state = directories.get(directory);
    if (!state) directories.set(directory, (state = { running: false, waiting: [] }));
    state.waiting.push({ resolve, reject });
    if (!state.running) void drain(directory, state);
  });
}
