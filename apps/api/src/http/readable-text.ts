/**
 * Why a text from a request cannot be stored or shown: a NUL (PostgreSQL refuses it in text and JSON), or half of a
 * UTF-16 surrogate pair (a JSON `\ud800` escape), which no UTF-8 text can carry. Null when it is fine.
 */
export function unreadableText(text: string): string | null {
  if (text.includes('\u0000')) return 'a NUL character (\\u0000)';
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed()) return 'half of a UTF-16 surrogate pair (not valid Unicode)';
  return null;
}
