import { isIPv4, isIPv6 } from 'node:net';

/**
 * Client addresses as sigil records and throttles them. The address itself comes from Koa's
 * `ctx.ip`: the socket peer, or with `web.proxy: true` the X-Forwarded-For entry
 * `web.proxyHops` from the right (app.maxIpsCount), never the client-supplied left end.
 */

/** `::ffff:10.0.0.1` → `10.0.0.1`; anything else unchanged. */
export function clientAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  return mapped?.[1] ?? ip;
}

function expandIPv6(ip: string): string[] | undefined {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : fill < 0) return undefined;
  return [...left, ...Array<string>(tail === undefined ? 0 : fill).fill('0'), ...right];
}

/**
 * The key an address is throttled under: an IPv4 address as is, an IPv6 address by its /64
 * (one subscriber usually holds a whole /64 and could otherwise rotate through it).
 */
export function throttleIpKey(ip: string): string {
  const a = clientAddress(ip.trim());
  if (isIPv4(a)) return a;
  const zoneless = a.replace(/%.*$/, '');
  if (isIPv6(zoneless) && !zoneless.includes('.')) {
    const parts = expandIPv6(zoneless.toLowerCase());
    if (parts !== undefined)
      return `${parts
        .slice(0, 4)
        .map((p) => p.replace(/^0+(?=.)/, ''))
        .join(':')}::/64`;
  }
  return a === '' ? 'unknown' : a.slice(0, 64);
}
