import { MultistatusParseError, parseMultistatus } from './webdav-multistatus.js';

const RCLONE = `<?xml version="1.0" encoding="UTF-8"?><D:multistatus xmlns:D="DAV:"><D:response><D:href>/a/</D:href><D:propstat><D:prop><D:getlastmodified>Sun, 22 Nov 2026 04:35:27 GMT</D:getlastmodified><D:resourcetype><D:collection xmlns:D="DAV:"/></D:resourcetype><D:displayname>a</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response><D:response><D:href>/a/d%20e.txt</D:href><D:propstat><D:prop><D:resourcetype></D:resourcetype><D:getetag>"5d41"</D:getetag><D:getcontentlength>5</D:getcontentlength><D:getlastmodified>Sun, 22 Nov 2026 04:35:27 GMT</D:getlastmodified></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>`;

describe('WebDAV multistatus', () => {
  test('reads hrefs, collections, sizes and dates (rclone)', () => {
    expect(parseMultistatus(RCLONE)).toEqual([
      { href: '/a/', collection: true, mtime: new Date('2026-11-22T04:35:27Z') },
      { href: '/a/d%20e.txt', collection: false, bytes: 5, mtime: new Date('2026-11-22T04:35:27Z') },
    ]);
  });

  test('any namespace prefix or none, entities, CDATA, comments; only 2xx propstats count', () => {
    const xml = `<?xml version="1.0"?>
      <!-- apache style -->
      <multistatus xmlns="DAV:" xmlns:lp1="DAV:">
        <response>
          <href>http://host:8080/data/a&amp;b%20c.txt</href>
          <propstat><prop><lp1:getcontentlength>12</lp1:getcontentlength><resourcetype/></prop><status>HTTP/1.1 200 OK</status></propstat>
          <propstat><prop><quota-used-bytes/></prop><status>HTTP/1.1 404 Not Found</status></propstat>
        </response>
        <d:response xmlns:d="DAV:"><d:href><![CDATA[/data/sub/]]></d:href>
          <d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype>
            <d:quota-available-bytes>100</d:quota-available-bytes><d:quota-used-bytes>&#52;2</d:quota-used-bytes></d:prop>
          <d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
      </multistatus>`;
    expect(parseMultistatus(xml)).toEqual([
      { href: 'http://host:8080/data/a&b%20c.txt', collection: false, bytes: 12 },
      { href: '/data/sub/', collection: true, quotaAvailableBytes: 100, quotaUsedBytes: 42 },
    ]);
  });

  test.each([
    ['a DOCTYPE (no entity expansion)', '<!DOCTYPE m [<!ENTITY x "y">]><multistatus/>'],
    ['an unknown entity', '<multistatus><response><href>&x;</href></response></multistatus>'],
    ['unbalanced tags', '<multistatus><response></multistatus>'],
    ['an unclosed root', '<multistatus><response></response>'],
    ['another document', '<html><body>login</body></html>'],
    ['nothing', ''],
    ['broken markup', '<multistatus><response <href/></multistatus>'],
  ])('refuses %s', (_what, xml) => {
    expect(() => parseMultistatus(xml)).toThrow(MultistatusParseError);
  });
});
