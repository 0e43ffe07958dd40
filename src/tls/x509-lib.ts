/**
 * Loads @peculiar/x509 on first use. The library (v2 too) registers its algorithms with
 * tsyringe, and tsyringe refuses to load unless `Reflect.getMetadata` exists (the
 * `reflect-metadata` polyfill, which sigil does not depend on). So before the first import we
 * install a small, correct metadata store on `Reflect` when none is there, and only then.
 * Nothing happens at import time of this file; the dev CA is the only caller.
 */
import type * as X509 from '@peculiar/x509';

type X509Module = typeof X509;

let loading: Promise<X509Module> | undefined;

export function loadX509(): Promise<X509Module> {
  loading ??= (async () => {
    installReflectMetadata();
    return import('@peculiar/x509');
  })();
  return loading;
}

type MetadataMap = Map<unknown, unknown>;

/** The subset of the reflect-metadata API that tsyringe calls, backed by a WeakMap. */
function installReflectMetadata(): void {
  const target = Reflect as unknown as Record<string, unknown>;
  if (typeof target['getMetadata'] === 'function') return;
  const store = new WeakMap<object, Map<PropertyKey | undefined, MetadataMap>>();
  const own = (
    obj: object,
    prop: PropertyKey | undefined,
    create: boolean,
  ): MetadataMap | undefined => {
    let byProp = store.get(obj);
    if (byProp === undefined) {
      if (!create) return undefined;
      byProp = new Map();
      store.set(obj, byProp);
    }
    let map = byProp.get(prop);
    if (map === undefined && create) {
      map = new Map();
      byProp.set(prop, map);
    }
    return map;
  };
  const getOwnMetadata = (key: unknown, obj: object, prop?: PropertyKey): unknown =>
    own(obj, prop, false)?.get(key);
  const getMetadata = (key: unknown, obj: object, prop?: PropertyKey): unknown => {
    for (let o: object | null = obj; o !== null; o = Object.getPrototypeOf(o) as object | null) {
      const map = own(o, prop, false);
      if (map?.has(key) === true) return map.get(key);
    }
    return undefined;
  };
  const defineMetadata = (key: unknown, value: unknown, obj: object, prop?: PropertyKey): void => {
    own(obj, prop, true)?.set(key, value);
  };
  const define = (name: string, value: unknown): void => {
    Object.defineProperty(target, name, {
      value,
      configurable: true,
      writable: true,
      enumerable: false,
    });
  };
  define('getOwnMetadata', getOwnMetadata);
  define('getMetadata', getMetadata);
  define('defineMetadata', defineMetadata);
  define(
    'hasOwnMetadata',
    (key: unknown, obj: object, prop?: PropertyKey) => own(obj, prop, false)?.has(key) === true,
  );
  define(
    'hasMetadata',
    (key: unknown, obj: object, prop?: PropertyKey) => getMetadata(key, obj, prop) !== undefined,
  );
}
