import type { Command } from 'commander';
import type { CommandResult, Done } from '../result.js';

/** `sigil keys list|rotate|revoke|reencrypt`: what each prints, one line at a time. */
export type KeysCommand =
  | { readonly action: 'list' }
  | { readonly action: 'rotate'; readonly now: boolean }
  | { readonly action: 'revoke'; readonly kid: string; readonly wait: boolean }
  | { readonly action: 'reencrypt'; readonly oldSecretFile: string | undefined };

export interface KeysCliHandlers {
  keys(opts: { config?: string | undefined }, cmd: KeysCommand): Promise<CommandResult>;
}

export function addKeysCommands(
  program: Command,
  h: KeysCliHandlers,
  configOption: readonly [string, string],
  done: Done,
): void {
  const keys = program
    .command('keys')
    .description('signing keys: list, rotate, revoke, re-encrypt');
  keys
    .command('list')
    .description('print every signing key: kid, algorithm, state, created, activated, retired')
    .option(...configOption)
    .action((o: { config?: string }) => done(h.keys(o, { action: 'list' })));
  keys
    .command('rotate')
    .description('rotate when due (rotation period and lead time passed)')
    .option(...configOption)
    .option('--now', 'promote the published next key at once')
    .action((o: { config?: string; now?: boolean }) =>
      done(h.keys(o, { action: 'rotate', now: o.now === true })),
    );
  keys
    .command('revoke <kid>')
    .description(
      'emergency for a leaked key: unpublish it, sign with another, make refresh tokens it covered log in again',
    )
    .option(...configOption)
    .option('--no-wait', 'skip the second sweep after replicas have caught up')
    // A kid is an RFC 7638 thumbprint in base64url: one in 64 begins with '-'. Such an
    // operand is the key id, not an unknown option; a mistyped option still fails (as an
    // excess argument, or as a key id no key has).
    .allowUnknownOption()
    .action((kid: string, o: { config?: string; wait: boolean }) =>
      done(h.keys(o, { action: 'revoke', kid, wait: o.wait })),
    );
  keys
    .command('reencrypt')
    .description('re-encrypt the private keys under the configured keys.encryptionSecret')
    .option(...configOption)
    .option('--old-secret-file <file>', 'file holding the previous key-encryption secret')
    .action((o: { config?: string; oldSecretFile?: string }) =>
      done(h.keys(o, { action: 'reencrypt', oldSecretFile: o.oldSecretFile })),
    );
}
