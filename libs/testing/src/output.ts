/** Everything the process writes while a test runs (console and Nest's logger alike), to count log lines. */
export interface CapturedOutput {
  text(): string;
  /** Lines written so far that match. */
  lines(pattern: RegExp): string[];
  restore(): void;
}

export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const restores: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restores.push(() => (stream.write = write));
  }
  for (const level of ['log', 'warn', 'error'] as const) {
    const original = console[level];
    console[level] = (...args: unknown[]) => void chunks.push(`${args.map(String).join(' ')}\n`);
    restores.push(() => (console[level] = original));
  }
  const text = () => chunks.join('');
  return {
    text,
    lines: (pattern) => text().split('\n').filter((line) => pattern.test(line)),
    restore: () => restores.forEach((undo) => undo()),
  };
}
