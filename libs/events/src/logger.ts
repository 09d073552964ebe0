/** The few log calls the event and daemon code make; a Nest Logger or console both fit. */
export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function consoleLogger(context: string): Logger {
  const line = (message: string) => `${new Date().toISOString()} [${context}] ${message}`;
  return {
    log: (message) => console.log(line(message)),
    warn: (message) => console.warn(line(message)),
    error: (message) => console.error(line(message)),
  };
}

export const silentLogger: Logger = { log: () => undefined, warn: () => undefined, error: () => undefined };
