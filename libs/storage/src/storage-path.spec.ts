import { isTemporaryName, splitSegments, storagePathProblem, temporaryName } from './storage-path.js';

describe('storage paths', () => {
  test.each(['a.txt', 'scope/ab/cd/name.root', 'user/jdoe/ü ñ/file (1).dat', 'a..b/c...d', '.hidden/x'])('accepts %p', (path) => {
    expect(storagePathProblem(path, 'file')).toBeUndefined();
  });

  test.each([
    ['', 'empty'],
    ['/etc/passwd', 'absolute'],
    ['../x', "'..'"],
    ['a/../../x', "'..'"],
    ['a/..', "'..'"],
    ['a/./b', "'.'"],
    ['a//b', 'empty segment'],
    ['a/', 'empty segment'],
    ['a\0b', 'NUL'],
  ])('refuses %p (%s)', (path, words) => {
    expect(storagePathProblem(path, 'file')).toContain(words);
  });

  test('directories may be empty or end with a slash', () => {
    expect(storagePathProblem('', 'directory')).toBeUndefined();
    expect(storagePathProblem('a/b/', 'directory')).toBeUndefined();
    expect(splitSegments('a/b/', 'directory')).toEqual(['a', 'b']);
    expect(splitSegments('', 'directory')).toEqual([]);
    expect(storagePathProblem('../', 'directory')).toContain("'..'");
    expect(storagePathProblem(42, 'file')).toContain('not a string');
  });

  test('temporary names are recognised wherever they are', () => {
    const name = temporaryName();
    expect(name).toMatch(/^\.tarn-part\.[0-9a-f]{16}$/);
    expect(isTemporaryName(name)).toBe(true);
    expect(isTemporaryName(`a/b/${name}`)).toBe(true);
    expect(isTemporaryName('a/.tarn-partial')).toBe(false);
    expect(isTemporaryName('.tarn-part.x/file')).toBe(false);
  });
});
