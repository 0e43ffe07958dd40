import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

/** A request handler such as `provider.callback()` (oidc-provider is a Koa app). */
export type RequestListener = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface InProcessRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query, e.g. `/token`. */
  readonly path: string;
  /** Host header: the issuer's host, so the handler sees the same origin as a real client. */
  readonly host: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The address the request is taken to come from (the browser's, for the session record). */
  readonly remoteAddress?: string | undefined;
  readonly body?: string;
  /** Marks the request as arriving over TLS (as it would at an https issuer). */
  readonly secure: boolean;
}

export interface InProcessResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | number | undefined>>;
  readonly body: string;
}

/**
 * Sends one HTTP request to a Node request listener inside this process, without a socket:
 * sigil calling its own token endpoint. The issuer URL may not be reachable from the process
 * itself (a pod behind an ingress), so going over the network is not an option; this runs
 * oidc-provider's real endpoint code (client authentication, PKCE, code consumption, token
 * signing) on a request object built here.
 */
export async function dispatchInProcess(
  listener: RequestListener,
  request: InProcessRequest,
  timeoutMs = 10_000,
): Promise<InProcessResponse> {
  const socket = new Socket();
  if (request.secure) Object.defineProperty(socket, 'encrypted', { value: true });
  if (request.remoteAddress !== undefined && request.remoteAddress !== '')
    Object.defineProperty(socket, 'remoteAddress', { value: request.remoteAddress });
  const req = new IncomingMessage(socket);
  req.method = request.method;
  req.url = request.path;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const body = Buffer.from(request.body ?? '', 'utf8');
  req.headers = {
    ...Object.fromEntries(
      Object.entries(request.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
    ),
    host: request.host,
    ...(request.method === 'POST' ? { 'content-length': String(body.length) } : {}),
  };
  if (body.length > 0) req.push(body);
  req.push(null);

  const res = new ServerResponse(req);
  const chunks: Buffer[] = [];
  const collect = (chunk: unknown): void => {
    if (typeof chunk === 'string') chunks.push(Buffer.from(chunk, 'utf8'));
    else if (chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
  };
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    res.write = ((chunk: unknown) => {
      collect(chunk);
      return true;
    }) as typeof res.write;
    res.end = ((chunk?: unknown) => {
      if (typeof chunk !== 'function') collect(chunk);
      resolve();
      return res;
    }) as typeof res.end;
    timer = setTimeout(() => {
      reject(new Error(`in-process ${request.method} ${request.path} did not answer`));
    }, timeoutMs);
  });
  try {
    await Promise.all([Promise.resolve(listener(req, res)), ended]);
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
  return {
    status: res.statusCode,
    headers: res.getHeaders(),
    body: Buffer.concat(chunks).toString('utf8'),
  };
}
