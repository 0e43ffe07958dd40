/**
 * What a command answers. Commands that stream (keys, ldap check, audit) print their lines as
 * they go; the others hand their output back here. The exit code is decided by the command,
 * never read back from what it printed.
 */
export interface CommandResult {
  readonly exitCode: number;
  /** Printed to stdout once the command is done. */
  readonly stdout?: string;
  /** Printed to stderr, one `sigil: <note>` line each, before stdout. */
  readonly notes?: readonly string[];
}

export const OK: CommandResult = { exitCode: 0 };

/** Hands a command's result to whoever runs the program (run.ts); commander's actions return nothing. */
export type Done = (result: Promise<CommandResult>) => Promise<void>;

/** Writes one line to stdout: the streaming commands' output. */
export function printLine(line: string): void {
  process.stdout.write(`${line}\n`);
}
