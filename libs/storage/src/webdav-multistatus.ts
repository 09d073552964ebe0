/**
 * A small, strict reader of WebDAV multistatus bodies (RFC 4918 PROPFIND answers). It reads elements and
 * text only, by local name (namespace prefixes vary between servers: D:, d:, lp1:, none), decodes the five
 * predefined entities and character references, and refuses DOCTYPEs, so no entity expansion can happen.
 */
export interface DavResource {
  /** The href as the server sent it (a path or a URL, percent-encoded). */
  href: string;
  collection: boolean;
  bytes?: number;
  mtime?: Date;
  quotaAvailableBytes?: number;
  quotaUsedBytes?: number;
}

interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export class MultistatusParseError extends Error {}

export function parseMultistatus(xml: string): DavResource[] {
  const root = parseXml(xml);
  if (root.name !== 'multistatus') throw new MultistatusParseError(`expected a multistatus document, got <${root.name}>`);
  return root.children.filter((e) => e.name === 'response').map(readResponse);
}

function readResponse(response: XmlElement): DavResource {
  const hrefText = child(response, 'href')?.text.trim();
  if (!hrefText) throw new MultistatusParseError('a response without href');
  const resource: DavResource = { href: hrefText, collection: false };
  for (const propstat of response.children.filter((e) => e.name === 'propstat')) {
    const status = child(propstat, 'status')?.text ?? '';
    if (!/^HTTP\/\d(\.\d)?\s+2\d\d/.test(status.trim())) continue;
    const prop = child(propstat, 'prop');
    if (!prop) continue;
    for (const p of prop.children) {
      const value = p.text.trim();
      switch (p.name) {
        case 'resourcetype':
          resource.collection = p.children.some((c) => c.name === 'collection');
          break;
        case 'getcontentlength':
          if (/^\d+$/.test(value)) resource.bytes = Number(value);
          break;
        case 'getlastmodified': {
          const date = new Date(value);
          if (value && !Number.isNaN(date.getTime())) resource.mtime = date;
          break;
        }
        case 'quota-available-bytes':
          if (/^\d+$/.test(value)) resource.quotaAvailableBytes = Number(value);
          break;
        case 'quota-used-bytes':
          if (/^\d+$/.test(value)) resource.quotaUsedBytes = Number(value);
          break;
      }
    }
  }
  return resource;
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

const TOKEN = /<!--[\s\S]*?-->|<!\[CDATA\[([\s\S]*?)\]\]>|<\?[\s\S]*?\?>|<!([^>]*)>|<(\/?)([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)|</g;

function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(xml); match; match = TOKEN.exec(xml)) {
    const [whole, cdata, declaration, closing, qname, , selfClosing, text] = match;
    if (whole === '<') throw new MultistatusParseError(`malformed markup at offset ${match.index}`);
    if (declaration !== undefined) throw new MultistatusParseError('DOCTYPE and other declarations are not accepted');
    if (cdata !== undefined || text !== undefined) {
      const top = stack[stack.length - 1];
      const value = cdata ?? decodeEntities(text);
      if (top) top.text += value;
      else if (value.trim() !== '') throw new MultistatusParseError('text outside the root element');
      continue;
    }
    if (qname === undefined) continue; // comment or processing instruction
    const name = qname.slice(qname.indexOf(':') + 1);
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name) throw new MultistatusParseError(`unbalanced </${qname}>`);
      continue;
    }
    const element: XmlElement = { name, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(element);
    else if (root) throw new MultistatusParseError('more than one root element');
    else root = element;
    if (!selfClosing) stack.push(element);
  }
  if (!root) throw new MultistatusParseError('an empty document');
  if (stack.length > 0) throw new MultistatusParseError(`<${stack[stack.length - 1].name}> is not closed`);
  return root;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(parseInt(ref.slice(1), 10));
    const value = ENTITIES[ref];
    if (value === undefined) throw new MultistatusParseError(`unknown entity ${whole}`);
    return value;
  });
}
