import { pbkdf2 } from 'node:crypto';
import { hashPassword, verifyPassword } from './password-hash.js';

describe('password hashes', () => {
  it('are scrypt with N=2^15, a random salt, and verify only the right password', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horse', b)).toBe(true);
    expect(await verifyPassword('correct horsf', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
  });

  it('refuse malformed or tampered hashes instead of throwing or exhausting memory', async () => {
    const good = await hashPassword('pw');
    const parts = good.split('$');
    expect(await verifyPassword('pw', 'plain-text')).toBe(false);
    expect(await verifyPassword('pw', ['bcrypt', ...parts.slice(1)].join('$'))).toBe(false);
    expect(await verifyPassword('pw', ['scrypt', 2 ** 30, ...parts.slice(2)].join('$'))).toBe(false);
    expect(await verifyPassword('pw', ['scrypt', 1000, ...parts.slice(2)].join('$'))).toBe(false);
    expect(await verifyPassword('pw', [...parts.slice(0, 5), ''].join('$'))).toBe(false);
  });

  it('leave threads of the pool to other work while many are hashed at once', async () => {
    const order: string[] = [];
    const hashes = Array.from({ length: 8 }, () => hashPassword('many at once').then(() => order.push('hash')));
    await new Promise((resolve) => setImmediate(resolve));
    // pbkdf2 runs on the same thread pool, as the database driver's SCRAM handshake does.
    await new Promise<void>((resolve, reject) => pbkdf2('x', 'salt', 1, 32, 'sha256', (error) => (error ? reject(error) : resolve())));
    order.push('other work');
    await Promise.all(hashes);
    expect(order[0]).toBe('other work');
  });
});
