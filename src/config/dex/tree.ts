/** The raw YAML tree the Dex adaptation works on, and what it found. */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** A key that behaves differently (a note) or must change before sigil runs the file. */
export interface Finding {
  readonly path: string;
  readonly message: string;
}

export class Findings {
  readonly problems: Finding[] = [];
  readonly notes: Finding[] = [];
  /**
   * Where each connector left in the tree was in the file (refused connectors are taken out,
   * so that the schema checks the rest): new index → the file's index.
   */
  connectorIndex: number[] = [];
  /** Something sigil cannot run as it is: the key and what to do instead. */
  refuse(path: string, message: string): void {
    this.problems.push({ path, message });
  }
  /** Runs, but not exactly as in Dex: said by `sigil config check --from-dex` and at start. */
  note(path: string, message: string): void {
    this.notes.push({ path, message });
  }
}

export function isObject(v: Json | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** The object at `key` of `obj`, or undefined. */
export function objectAt(obj: JsonObject, key: string): JsonObject | undefined {
  const v = obj[key];
  return isObject(v) ? v : undefined;
}

/** The objects of the list at `key` of `obj`, with their index. */
export function itemsAt(obj: JsonObject, key: string): [JsonObject, number][] {
  const v = obj[key];
  if (!Array.isArray(v)) return [];
  return v.flatMap((item, i): [JsonObject, number][] => (isObject(item) ? [[item, i]] : []));
}

/** Takes `key` out of `obj`: its value, or undefined when it was not there. */
export function take(obj: JsonObject, key: string): Json | undefined {
  if (!Object.hasOwn(obj, key)) return undefined;
  const v = obj[key];
  Reflect.deleteProperty(obj, key);
  return v;
}

/** `true`, a non-empty string, list or object: a setting that asks for something. */
export function isSet(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === false || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Takes a list of strings out of `obj` (a Dex key sigil maps); anything else is refused. */
export function takeStrings(
  obj: JsonObject,
  key: string,
  path: string,
  found: Findings,
): string[] | undefined {
  const v = take(obj, key);
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  found.refuse(path, 'expected a list of names');
  return undefined;
}

export const strings = (v: Json | undefined): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
