import { DestinationQueues } from './destination-queues.js';

const transfer = (destRseId: string, n: number) => ({ token: `${destRseId}-${n}`, destRseId });

describe('DestinationQueues', () => {
  it('gives a free lane the destination with the fewest copies running, each destination in lease order', () => {
    const queues = new DestinationQueues(4);
    queues.push([transfer('slow', 1), transfer('slow', 2), transfer('slow', 3), transfer('fast', 1), transfer('fast', 2)]);
    const first = queues.take()!;
    expect(first.token).toBe('slow-1');
    expect(queues.take()!.token).toBe('fast-1');
    const third = queues.take()!;
    expect(third.token).toBe('slow-2');
    // slow has two running, fast one: fast goes next, and again once one of slow's is done and fast has two.
    expect(queues.take()!.token).toBe('fast-2');
    expect(queues.waiting).toBe(1);
    queues.done(first);
    expect(queues.take()!.token).toBe('slow-3');
    expect(queues.take()).toBeUndefined();
  });

  it('leaves saturated destinations out of the next lease and says when one runs dry', () => {
    const queues = new DestinationQueues(2);
    queues.push([transfer('a', 1), transfer('a', 2), transfer('b', 1)]);
    expect(queues.saturated()).toEqual(['a']);
    expect(queues.starving()).toBe(false);
    expect(queues.take()!.token).toBe('a-1');
    expect(queues.take()!.token).toBe('b-1');
    expect(queues.starving()).toBe(true); // b copies and has none waiting
    expect(queues.saturated()).toEqual([]);
  });

  it('drops the waiting transfers whose lease was not renewed, and only those asked about', () => {
    const queues = new DestinationQueues(8);
    queues.push([transfer('a', 1), transfer('a', 2), transfer('b', 1)]);
    const asked = new Set(queues.tokens());
    queues.push([transfer('b', 2)]);
    expect(queues.drop(asked, new Set(['a-2']))).toBe(2);
    expect(queues.tokens().sort()).toEqual(['a-2', 'b-2']);
    expect(queues.waiting).toBe(2);
  });
});
