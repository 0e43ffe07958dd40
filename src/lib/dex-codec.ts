/**
 * Dex's two small protobuf strings (dexidp/dex server/internal/types.proto, encoded by
 * internal.Marshal as base64url without padding):
 *
 * - the `sub` of every id_token Dex issues: `IDTokenSubject { string user_id = 1; string conn_id = 2; }`
 * - a refresh token: `RefreshToken { string refresh_id = 1; string token = 2; }`
 *
 * Both are two proto3 string fields, written in field order, an empty string left out (proto3
 * omits default values). Nothing else: this is not a protobuf library.
 */

const MAX_FIELD_BYTES = 4096;

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function encodeTwoStrings(first: string, second: string): string {
  const parts: number[] = [];
  for (const [tag, value] of [
    [0x0a, first],
    [0x12, second],
  ] as const) {
    if (value === '') continue;
    const bytes = Buffer.from(value, 'utf8');
    parts.push(tag, ...varint(bytes.length), ...bytes);
  }
  return Buffer.from(parts).toString('base64url');
}

/** Reads a varint at `at`: [value, next offset], or undefined when it runs past the end or is too long. */
function readVarint(buf: Buffer, at: number): [number, number] | undefined {
  let value = 0;
  let mul = 1;
  for (let i = at; i < buf.length && i < at + 4; i++) {
    const b = buf[i] ?? 0;
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [value, i + 1];
    mul *= 128;
  }
  return undefined;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The two string fields of a base64url protobuf of this shape, or undefined when `text` is
 * not one: another alphabet, a field other than 1 and 2 or of another wire type, a length
 * past the end, invalid UTF-8.
 */
function decodeTwoStrings(text: string): [string, string] | undefined {
  if (text.length === 0 || text.length > 2 * MAX_FIELD_BYTES || !BASE64URL.test(text))
    return undefined;
  const buf = Buffer.from(text, 'base64url');
  if (buf.toString('base64url') !== text) return undefined;
  const fields: [string, string] = ['', ''];
  let at = 0;
  while (at < buf.length) {
    const tag = buf[at];
    if (tag !== 0x0a && tag !== 0x12) return undefined;
    const len = readVarint(buf, at + 1);
    if (len === undefined || len[0] > MAX_FIELD_BYTES || len[1] + len[0] > buf.length)
      return undefined;
    const bytes = buf.subarray(len[1], len[1] + len[0]);
    const value = bytes.toString('utf8');
    if (!Buffer.from(value, 'utf8').equals(bytes)) return undefined;
    fields[tag === 0x0a ? 0 : 1] = value;
    at = len[1] + len[0];
  }
  return fields;
}

/** The `sub` Dex issues for `userId` logged in through connector `connectorId`. */
export function dexSubject(userId: string, connectorId: string): string {
  return encodeTwoStrings(userId, connectorId);
}

/** The user id and connector id inside a Dex `sub`, or undefined when it is not one. */
export function parseDexSubject(sub: string): { userId: string; connectorId: string } | undefined {
  const f = decodeTwoStrings(sub);
  return f === undefined ? undefined : { userId: f[0], connectorId: f[1] };
}

export interface DexRefreshToken {
  /** The id of the `refresh_token` row. */
  readonly refreshId: string;
  /** The secret the row's `token` column must equal. */
  readonly token: string;
}

/** A refresh token as Dex hands it to clients. */
export function encodeDexRefreshToken(t: DexRefreshToken): string {
  return encodeTwoStrings(t.refreshId, t.token);
}

/**
 * A refresh token Dex handed out, or undefined when `value` is not one. A token without its
 * secret (Dex before 2.10 issued bare ids) is not accepted either.
 */
export function decodeDexRefreshToken(value: string): DexRefreshToken | undefined {
  const f = decodeTwoStrings(value);
  if (f === undefined || f[0] === '' || f[1] === '') return undefined;
  return { refreshId: f[0], token: f[1] };
}
