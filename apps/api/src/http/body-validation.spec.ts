import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsInt, IsOptional, IsString, Min, ValidateNested } from 'class-validator';
import { VALIDATION_CHUNK, validateList, validateObject } from './body-validation.js';

class Item {
  @IsString() name: string;
  @IsOptional() @IsInt() @Min(0) bytes?: number;
}

class Batch {
  @IsArray() @ValidateNested({ each: true }) @Type(() => Item) items: Item[];
  @IsOptional() @IsBoolean() strict?: boolean;
}

const items = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `f${i}`, bytes: i }));

/** How many times the event loop was served (a setImmediate ran) while `work` ran. */
async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let running = true;
  const tick = (): void => {
    if (!running) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    await work();
  } finally {
    running = false;
  }
  return turns;
}

describe('body validation in chunks', () => {
  it('gives the whole list as instances of its DTO, every item validated', async () => {
    const batch = await validateObject(Batch, { items: items(VALIDATION_CHUNK * 3 + 7), strict: true });
    expect(batch).toBeInstanceOf(Batch);
    expect(batch.strict).toBe(true);
    expect(batch.items).toHaveLength(VALIDATION_CHUNK * 3 + 7);
    expect(batch.items.every((item, i) => item instanceof Item && item.name === `f${i}`)).toBe(true);
  });

  it('names a bad item by its index in the whole list, in any chunk', async () => {
    for (const at of [0, VALIDATION_CHUNK - 1, VALIDATION_CHUNK, VALIDATION_CHUNK * 2 + 17]) {
      const list: unknown[] = items(VALIDATION_CHUNK * 3);
      list[at] = { name: 7, bytes: -1 };
      await expect(validateObject(Batch, { items: list })).rejects.toMatchObject({
        response: { exceptionClass: 'InvalidObject', message: expect.stringContaining(`items.${at}.name: name must be a string`) },
      });
      await expect(validateObject(Batch, { items: list })).rejects.toMatchObject({
        response: { message: expect.stringContaining(`items.${at}.bytes: bytes must not be less than 0`) },
      });
    }
  });

  it('checks the other fields of a body with a long list too', async () => {
    await expect(validateObject(Batch, { items: items(VALIDATION_CHUNK * 2), strict: 'yes' })).rejects.toMatchObject({
      response: { message: expect.stringContaining('strict: strict must be a boolean value') },
    });
  });

  it('serves the event loop between the chunks of a long list', async () => {
    expect(await turnsDuring(() => validateObject(Batch, { items: items(VALIDATION_CHUNK * 20) }))).toBeGreaterThanOrEqual(19);
    expect(await turnsDuring(() => validateList(Item, items(VALIDATION_CHUNK * 20), 'files'))).toBeGreaterThanOrEqual(19);
  });

  it('answers a body that is not an object, or a list that is not a list, with a 400 naming it', async () => {
    await expect(validateObject(Batch, [1, 2])).rejects.toMatchObject({ response: { message: 'Invalid request: the body must be a JSON object.' } });
    await expect(validateList(Item, { name: 'x' }, 'files')).rejects.toMatchObject({ response: { message: 'Invalid request: files must be a JSON list.' } });
    await expect(validateList(Item, [{ name: 'a' }, 'b'], 'files')).rejects.toMatchObject({
      response: { message: 'Invalid request: files[1] must be a JSON object.' },
    });
  });
});
