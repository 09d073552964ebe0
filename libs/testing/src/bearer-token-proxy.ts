import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as jose from 'jose';

export interface BearerTokenProxy {
  url: string;
  /** The audience of every token it admitted, and why it refused the others. */
  admitted: string[];
  refused: string[];
  close(): Promise<void>;
}

/**
 * Test infrastructure: a reverse proxy in front of the test WebDAV server that makes it a token-only storage, as
 * dCache or StoRM are with WLCG tokens. It admits a request only with `Authorization: Bearer <JWT>` signed by the
 * issuer (its keys by discovery, with jose), unexpired, whose audience is exactly its own; then forwards it with the
 * WebDAV server's own credentials (rewriting MOVE/COPY destinations). Everything else is a 401.
 */
export async function startBearerTokenProxy(options: {
  upstream: string;
  username: string;
  password: string;
  issuer: string;
  audience: string;
}): Promise<BearerTokenProxy> {
  const upstream = new URL(options.upstream);
  const discovery = (await (await fetch(`${options.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
  const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
  const admitted: string[] = [];
  const refused: string[] = [];
  const basic = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;

  async function check(headers: IncomingHttpHeaders): Promise<string | undefined> {
    const match = /^Bearer (\S+)$/.exec(headers.authorization ?? '');
    if (!match) return 'no bearer token';
    try {
      const { payload } = await jose.jwtVerify(match[1], jwks, { issuer: options.issuer, requiredClaims: ['exp'] });
      const aud = payload.aud;
      if (aud !== options.audience && !(Array.isArray(aud) && aud.length === 1 && aud[0] === options.audience)) {
        return `audience ${JSON.stringify(aud)} is not ${options.audience}`;
      }
      admitted.push(String(aud));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }

  const server = createServer((req, res) => {
    check(req.headers).then(
      (problem) => {
        if (problem) {
          refused.push(problem);
          req.resume();
          res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"', 'content-type': 'text/plain' }).end(problem);
          return;
        }
        const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host, authorization: basic };
        if (typeof headers.destination === 'string') {
          const destination = new URL(headers.destination);
          headers.destination = new URL(destination.pathname + destination.search, upstream).toString();
        }
        const forward = httpRequest({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on('error', (error) => {
          if (!res.headersSent) res.writeHead(502).end(error.message);
          else res.destroy(error);
        });
        req.pipe(forward);
      },
      (error) => res.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    admitted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
