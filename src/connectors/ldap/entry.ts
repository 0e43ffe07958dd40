import type { Entry } from 'ldapts';

/**
 * Reading values out of ldapts entries. Attribute names are matched case-insensitively (the
 * server may answer `entryuuid` for `entryUUID`), and `DN` names the entry's DN (Dex).
 */

export function isDnAttr(name: string): boolean {
  return name.toLowerCase() === 'dn';
}

function raw(entry: Entry, name: string): (string | Buffer)[] {
  if (isDnAttr(name)) return [entry.dn];
  const lower = name.toLowerCase();
  for (const key of Object.keys(entry)) {
    if (key === 'dn' || key.toLowerCase() !== lower) continue;
    const v = entry[key];
    if (v === undefined) return [];
    return Array.isArray(v) ? v : [v];
  }
  return [];
}

/** All values as strings (Buffers decoded as UTF-8). */
export function strings(entry: Entry, name: string): string[] {
  return raw(entry, name).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

export function firstString(entry: Entry, name: string): string | undefined {
  return strings(entry, name)[0];
}

export function firstNonEmpty(entry: Entry, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const v = firstString(entry, name);
  return v === undefined || v === '' ? undefined : v;
}

/** Formats the 16 bytes of an AD objectGUID (mixed-endian) as 8-4-4-4-12 lower-case hex. */
export function formatGuid(bytes: Buffer): string {
  if (bytes.length !== 16)
    throw new Error(`objectGUID must be 16 bytes, got ${String(bytes.length)}`);
  const h = (from: number, to: number, reverse: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (reverse ? part.reverse() : part).toString('hex');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}

/** The inverse of formatGuid, for searching by objectGUID; undefined when `text` is not a GUID. */
export function parseGuid(text: string): Buffer | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(text);
  if (m === null) return undefined;
  const [, a = '', b = '', c = '', d = '', e = ''] = m;
  const le = (hex: string) => Buffer.from(hex, 'hex').reverse();
  return Buffer.concat([le(a), le(b), le(c), Buffer.from(d, 'hex'), Buffer.from(e, 'hex')]);
}

export function isObjectGuid(attr: string): boolean {
  return attr.toLowerCase() === 'objectguid';
}

const PRINTABLE = /^[\p{L}\p{N}\p{P}\p{S}\p{Zs}]+$/u;

/**
 * The stable id of an entry as a string: objectGUID formatted as a GUID, a printable UTF-8
 * value (entryUUID, nsUniqueId, ipaUniqueID) as is, any other binary value base64url-encoded.
 * The idAttr is always requested as a Buffer (explicitBufferAttributes) so nothing is mangled.
 */
export function stableId(entry: Entry, idAttr: string): string | undefined {
  if (isDnAttr(idAttr)) return undefined; // never the DN
  const v = raw(entry, idAttr)[0];
  if (v === undefined) return undefined;
  const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  if (bytes.length === 0) return undefined;
  if (isObjectGuid(idAttr)) return formatGuid(bytes);
  const text = bytes.toString('utf8');
  if (Buffer.from(text, 'utf8').equals(bytes) && PRINTABLE.test(text)) return text;
  return bytes.toString('base64url');
}

const TEXT_ID_ATTRS = new Set([
  'entryuuid',
  'nsuniqueid',
  'ipauniqueid',
  'uid',
  'uidnumber',
  'employeenumber',
  'employeeid',
  'samaccountname',
  'userprincipalname',
  'mail',
]);

/** What to put in an equality filter to find `id` again: bytes for binary ids, else the text. */
export function idSearchValues(idAttr: string, id: string): (string | Buffer)[] {
  if (isObjectGuid(idAttr)) {
    const guid = parseGuid(id);
    return guid === undefined ? [] : [guid];
  }
  const values: (string | Buffer)[] = [id];
  // A binary id was base64url-encoded by stableId: also try its bytes, unless the attribute is
  // known to hold text.
  if (!TEXT_ID_ATTRS.has(idAttr.toLowerCase()) && /^[A-Za-z0-9_-]+$/.test(id)) {
    const bytes = Buffer.from(id, 'base64url');
    if (bytes.toString('base64url') === id && stableId({ dn: '', id: bytes }, 'id') === id)
      values.push(bytes);
  }
  return values;
}

const TRUE_VALUES = new Set(['true', '1', 'yes']);

export function truthy(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toLowerCase());
}
