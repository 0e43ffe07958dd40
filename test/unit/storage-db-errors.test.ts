import { describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../../src/errors.js';
import { isUnstorableText, toStorageError } from '../../src/storage/db-errors.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('toStorageError', () => {
  it.each([
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1')],
    ['ECONNRESET', withCode('ECONNRESET')],
    [
      '57P01 admin shutdown',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['57P03 starting up', withCode('57P03', 'the database system is starting up')],
    ['08006 connection failure', withCode('08006')],
    ['08P01 protocol violation', withCode('08P01')],
    ['53300 too many connections', withCode('53300')],
    ['pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['client connect timeout', new Error('Connection terminated due to connection timeout')],
    ['terminated', new Error('Connection terminated unexpectedly')],
    ['not queryable', new Error('Client has encountered a connection error and is not queryable')],
    [
      'both addresses refused',
      new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], ''),
    ],
  ])('%s is DB_UNAVAILABLE (503) with the cause kept', (_name, err) => {
    const mapped = toStorageError(err);
    expect(isAppError(mapped, 'DB_UNAVAILABLE')).toBe(true);
    expect((mapped as AppError).status).toBe(503);
    expect((mapped as AppError).cause).toBe(err);
  });

  it.each([
    ['22P05 unsupported Unicode escape', withCode('22P05', 'unsupported Unicode escape sequence')],
    [
      '22021 invalid byte sequence',
      withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00'),
    ],
  ])('%s is STORAGE_INVALID_INPUT (400)', (_name, err) => {
    const mapped = toStorageError(err);
    expect(isAppError(mapped, 'STORAGE_INVALID_INPUT')).toBe(true);
    expect((mapped as AppError).status).toBe(400);
  });

  it.each([
    ['unique violation', withCode('23505', 'duplicate key value')],
    ['syntax error', withCode('42601', 'syntax error')],
    ['a plain error', new Error('boom')],
    ['a string', 'boom'],
  ])('%s passes through unchanged', (_name, err) => {
    expect(toStorageError(err)).toBe(err);
  });

  it('leaves AppErrors alone', () => {
    const err = new AppError('DB_MIGRATION_FAILED', 'x');
    expect(toStorageError(err)).toBe(err);
  });
});

describe('isUnstorableText', () => {
  it.each([
    ['plain', 'hello', false],
    ['unicode', 'ü ✓ 日本 😀', false],
    ['a NUL', 'a\u0000b', true],
    ['a lone high surrogate', 'a\uD800', true],
    ['a lone low surrogate', '\uDC00a', true],
    ['the text \\u0000 (escaped, harmless)', '\\u0000', false],
  ])('%s → %s', (_name, text, expected) => {
    expect(isUnstorableText(text)).toBe(expected);
  });
});
