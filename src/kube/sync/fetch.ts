import { request } from 'node:https';

/**
 * One GET of a cluster's configuration from sigil, over https only, trusting `ca` (the CA of
 * sigil's serving certificate) or the system roots. Bounded in time and size; never follows
 * redirects. Answers the status, the ETag and the body (a 200's).
 */
export interface FetchResult {
  readonly status: number;
  readonly etag?: string | undefined;
  readonly body?: string | undefined;
}

export interface FetchOptions {
  readonly url: URL;
  readonly secret: string;
  readonly ca?: string | undefined;
  readonly etag?: string | undefined;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export function fetchConfig(o: FetchOptions): Promise<FetchResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      o.url,
      {
        method: 'GET',
        ...(o.ca === undefined ? {} : { ca: o.ca }),
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${o.secret}`,
          ...(o.etag === undefined ? {} : { 'if-none-match': o.etag }),
        },
        timeout: o.timeoutMs,
      },
      (res) => {
        const status = res.statusCode ?? 0;
        const etag = typeof res.headers.etag === 'string' ? res.headers.etag : undefined;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > o.maxBytes) {
            req.destroy(new Error(`answer larger than ${o.maxBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          resolve({ status, etag, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
