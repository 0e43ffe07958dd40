import { describe, expect, it } from 'vitest';
import { buildProgram, type CliHandlers } from '../../src/cli/program/index.js';
import type { KeysCommand } from '../../src/cli/program/index.js';

/** Parses ARGS with the real program; returns the keys command it would run, or the error. */
async function parseKeys(
  args: string[],
): Promise<{ cmd?: KeysCommand; config?: string | undefined; error?: string }> {
  const seen: { cmd?: KeysCommand; config?: string | undefined } = {};
  const handlers = new Proxy({} as CliHandlers, {
    get: (_t, name) =>
      name === 'keys'
        ? (o: { config?: string }, cmd: KeysCommand) => {
            seen.cmd = cmd;
            seen.config = o.config;
            return Promise.resolve();
          }
        : () => Promise.reject(new Error(`unexpected handler ${String(name)}`)),
  });
  const program = buildProgram(handlers, '0.0.0-test');
  // Commander writes the message to stderr as well as throwing it (exitOverride).
  for (const c of [program, ...program.commands.flatMap((c) => [c, ...c.commands])])
    c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    await program.parseAsync(args, { from: 'user' });
    return seen;
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('sigil keys revoke (argument parsing)', () => {
  // A real RFC 7638 thumbprint that begins with '-' (CI once drew one: the revoke failed).
  const dashKid = '-NkYwAmfsz5e5pLs8r6t1mYh9lVcSBshSfb7O2jYN-w';

  it('takes a key id that begins with "-" wherever it stands among the options', async () => {
    for (const args of [
      ['keys', 'revoke', dashKid, '--no-wait', '--config', 'c.yaml'],
      ['keys', 'revoke', '--config', 'c.yaml', dashKid, '--no-wait'],
      ['keys', 'revoke', '--config', 'c.yaml', '--', dashKid],
    ]) {
      const r = await parseKeys(args);
      expect(r.error, args.join(' ')).toBeUndefined();
      expect(r.cmd, args.join(' ')).toMatchObject({ action: 'revoke', kid: dashKid });
      expect(r.config).toBe('c.yaml');
    }
    expect((await parseKeys(['keys', 'revoke', dashKid, '--no-wait'])).cmd).toEqual({
      action: 'revoke',
      kid: dashKid,
      wait: false,
    });
  });

  it('still refuses a mistyped option next to the key id, and a missing key id', async () => {
    const typo = await parseKeys(['keys', 'revoke', 'kid1', '--no-wiat']);
    expect(typo.cmd).toBeUndefined();
    expect(typo.error).toMatch(/too many arguments/);
    const none = await parseKeys(['keys', 'revoke', '--config', 'c.yaml']);
    expect(none.cmd).toBeUndefined();
    expect(none.error).toMatch(/missing required argument 'kid'/);
  });

  it('keeps refusing unknown options on the other keys commands', async () => {
    const r = await parseKeys(['keys', 'rotate', '--nwo']);
    expect(r.cmd).toBeUndefined();
    expect(r.error).toMatch(/unknown option '--nwo'/);
  });
});
