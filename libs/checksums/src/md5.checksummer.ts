import { createHash, Hash } from 'node:crypto';
import { Checksummer } from './checksummer.js';

export class Md5Checksummer implements Checksummer {
  readonly algorithm = 'md5';
  private readonly hash: Hash = createHash('md5');

  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
