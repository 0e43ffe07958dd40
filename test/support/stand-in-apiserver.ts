import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { parse } from 'yaml';
import { authenticationConfigurationSchema } from './authentication-config-schema.js';
import { compileClaimRules, type CompiledRules } from './cel-claims.js';

/**
 * A stand-in for kube-apiserver's JWT authenticator reading `--authentication-config`: no
 * kube-apiserver can be obtained on this machine (no Go module proxy to build one, none in
 * Debian), so this does what the issue needs of it, the way the API server does it:
 *
 * - it watches the file's directory (fsnotify in the API server; an atomic rename replaces the
 *   file's inode, so the directory is what sees it) and also re-reads the file every minute
 *   (the API server's poll fallback);
 * - a file that does not parse, does not pass the AuthenticationConfiguration schema, or has
 *   a rule that does not compile is refused and the previous configuration stays (counted in
 *   `failures`: the API server only logs it);
 * - a token is accepted when its signature verifies against sigil's JWKS, `iss` is the
 *   configured issuer, `aud` one of the audiences, it has not expired, and every
 *   claimValidationRule evaluates to true (CEL with @bufbuild/cel, see cel-claims.ts).
 *
 * What it does not do: the API server's 10 s cache of successful authentications (a token seen
 * just before the reload is still accepted up to 10 s later: the README adds it to the worst
 * case), claim mappings, userValidationRules (they do not refuse sigil's users here).
 */
export interface StandInVerdict {
  readonly ok: boolean;
  readonly reason?: string;
}

interface Loaded {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly rules: CompiledRules;
  readonly ruleCount: number;
}

export class StandInApiServer {
  readonly failures: string[] = [];
  reloads = 0;
  #loaded: Loaded | undefined;
  #watcher: FSWatcher | undefined;
  #poll: NodeJS.Timeout | undefined;
  readonly #file: string;
  readonly #jwks: ReturnType<typeof createLocalJWKSet>;
  #last = '';

  constructor(file: string, jwks: JSONWebKeySet) {
    this.#file = file;
    this.#jwks = createLocalJWKSet(jwks);
  }

  get ruleCount(): number {
    return this.#loaded?.ruleCount ?? 0;
  }

  async start(): Promise<void> {
    this.#watcher = watch(dirname(this.#file), (_event, name) => {
      if (name === basename(this.#file)) void this.reload();
    });
    this.#poll = setInterval(() => void this.reload(), 60_000);
    await this.reload();
  }

  stop(): void {
    this.#watcher?.close();
    clearInterval(this.#poll);
  }

  /** Reads the file; a content it cannot load leaves the previous configuration in force. */
  async reload(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#file, 'utf8');
    } catch {
      return; // not there (yet): nothing to load, as for the API server
    }
    if (text === this.#last) return;
    this.#last = text;
    try {
      const config = authenticationConfigurationSchema.parse(parse(text));
      const jwt = config.jwt[0];
      if (jwt === undefined) throw new Error('no jwt authenticator');
      const rules = (jwt.claimValidationRules ?? []).map((r) => ({
        expression: r.expression ?? '',
        message: r.message ?? '',
      }));
      this.#loaded = {
        issuer: jwt.issuer.url,
        audiences: jwt.issuer.audiences,
        rules: compileClaimRules(rules),
        ruleCount: rules.length,
      };
      this.reloads += 1;
    } catch (err) {
      this.failures.push((err as Error).message.slice(0, 300));
    }
  }

  async authenticate(token: string): Promise<StandInVerdict> {
    const l = this.#loaded;
    if (l === undefined) return { ok: false, reason: 'no configuration loaded' };
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.#jwks, {
        issuer: l.issuer,
        audience: [...l.audiences],
      }));
    } catch (err) {
      return { ok: false, reason: `token: ${(err as Error).message}` };
    }
    const verdict = l.rules.evaluate(claims);
    return verdict.allowed ? { ok: true } : { ok: false, reason: verdict.refusedBy ?? 'refused' };
  }
}
