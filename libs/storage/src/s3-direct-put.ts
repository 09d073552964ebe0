import type { S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

type SignableRequest = Parameters<SignatureV4['sign']>[0];

/** S3's encoding of a key in a path: every byte but unreserved characters and '/'. */
function encodeKey(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`))
    .join('/');
}

/**
 * One PUT of a body held in memory, signed with the client's own credentials, region and signer, sent through its
 * own HTTP handler (agent, timeouts), past the rest of the SDK's per-request machinery (endpoint rules, schema
 * serialisation, retry bookkeeping). For a file of a few KiB that machinery cost more CPU than the upload itself:
 * about a third of the event loop in a night of small-file copies, delaying every other copy's next step.
 * Anything but a plain success (an error status, a dropped connection) returns null, and the caller sends the same
 * request through the SDK, whose retries and error names the storage layer already maps.
 */
export class S3DirectPut {
  private readonly signer: SignatureV4;

  private constructor(
    private readonly client: S3Client,
    private readonly endpoint: URL,
    private readonly bucket: string,
  ) {
    this.signer = new SignatureV4({
      service: 's3',
      region: client.config.region,
      credentials: client.config.credentials,
      sha256: client.config.sha256,
      uriEscapePath: false,
      applyChecksum: false,
    });
  }

  /** Path-style endpoints at the server's root only; other shapes keep every request in the SDK. */
  static for(client: S3Client, endpointUrl: string, bucket: string, pathStyle: boolean): S3DirectPut | null {
    let endpoint: URL;
    try {
      endpoint = new URL(endpointUrl);
    } catch {
      return null;
    }
    if (!pathStyle || (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:')) return null;
    if ((endpoint.pathname !== '/' && endpoint.pathname !== '') || endpoint.search || endpoint.username) return null;
    return new S3DirectPut(client, endpoint, bucket);
  }

  /** The object's ETag after a 200, else null (the caller retries through the SDK). */
  async put(key: string, body: Buffer, contentMd5: string): Promise<string | null> {
    const request: SignableRequest = {
      method: 'PUT',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      port: this.endpoint.port ? Number(this.endpoint.port) : undefined,
      path: `/${encodeKey(this.bucket)}/${encodeKey(key)}`,
      query: {},
      headers: {
        host: this.endpoint.host,
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        'content-md5': contentMd5,
        // Content-MD5, a signed header, binds the body to the request; the payload is not hashed twice.
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      },
      body,
    };
    try {
      const signed = await this.signer.sign(request);
      const { response } = await this.client.config.requestHandler.handle(signed as Parameters<S3Client['config']['requestHandler']['handle']>[0]);
      const stream = response.body as NodeJS.ReadableStream | undefined;
      stream?.resume();
      if (response.statusCode !== 200) return null;
      return response.headers.etag ?? '';
    } catch {
      return null;
    }
  }
}
