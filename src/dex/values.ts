import { AppError } from '../errors.js';

/**
 * Column values of a Dex database, as PostgreSQL (`pg`) and SQLite (`node:sqlite`) hand them
 * over, turned into plain values, or a refusal that names the table, the row and the column
 * (never the value: it may be a secret).
 */
export class RowReader {
  readonly #where: string;
  readonly #row: Record<string, unknown>;

  constructor(table: string, rowId: string, row: Record<string, unknown>) {
    this.#where = `${table} row ${JSON.stringify(rowId.slice(0, 80))}`;
    this.#row = row;
  }

  refuse(what: string): AppError {
    return new AppError('DEX_IMPORT_REFUSED', `${this.#where}: ${what}`);
  }

  text(col: string): string {
    const v = this.#row[col];
    if (typeof v === 'string') return v;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
    if (v === null || v === undefined) return '';
    throw this.refuse(`${col} is not text`);
  }

  bytes(col: string): Buffer | null {
    const v = this.#row[col];
    if (v === null || v === undefined) return null;
    if (v instanceof Uint8Array) return Buffer.from(v);
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    throw this.refuse(`${col} is not bytes`);
  }

  bool(col: string): boolean | null {
    const v = this.#row[col];
    if (v === null || v === undefined) return null;
    if (typeof v === 'boolean') return v;
    if (v === 0 || v === 1 || v === 0n || v === 1n) return Number(v) === 1;
    throw this.refuse(`${col} is not a boolean`);
  }

  /** A JSON column (Dex marshals slices, maps and keys with encoding/json). */
  json(col: string): unknown {
    const b = this.bytes(col);
    if (b === null) throw this.refuse(`${col} is empty`);
    try {
      return JSON.parse(b.toString('utf8')) as unknown;
    } catch {
      throw this.refuse(`${col} is not valid JSON`);
    }
  }

  /** A JSON array of strings; Go's `null` for a nil slice reads as []. */
  strings(col: string): string[] {
    const v = this.json(col);
    if (v === null) return [];
    if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
      throw this.refuse(`${col} is not a JSON array of strings`);
    return v;
  }

  time(col: string): Date {
    const d = parseDexTime(this.#row[col]);
    if (d === undefined) throw this.refuse(`${col} is not a timestamp`);
    return d;
  }
}

const GO_TIME =
  /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(?: ?(Z|[+-]\d{2}:?\d{2}))?(?: [A-Z]{3,5})?$/;

/**
 * A timestamp as Dex's drivers store it: a Date (PostgreSQL), or the text go-sqlite3 writes
 * (`2006-01-02 15:04:05.999999999-07:00`, also RFC 3339). Undefined for anything else.
 */
export function parseDexTime(v: unknown): Date | undefined {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? undefined : v;
  if (typeof v !== 'string') return undefined;
  const m = GO_TIME.exec(v.trim());
  if (m === null) return undefined;
  const [, day = '', time = '', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = (frac + '000').slice(0, 3);
  const d = new Date(`${day}T${time}.${ms}${z}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
