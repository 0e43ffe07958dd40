/**
 * CEL string literals for ids that come from outside (a directory's `sub`, a session id):
 * whatever the id holds (quotes, backslashes, CEL operators, newlines, unicode), the literal
 * stands for exactly that string and nothing else can leak into the expression. The output
 * is printable ASCII only: everything else is a `\u`/`\U` escape (CEL's escapes, which
 * cel-go and @bufbuild/cel both read), so its length is its code-point count and YAML keeps
 * it as it is.
 *
 * A lone UTF-16 surrogate (no valid JSON claim can carry one: Go's JSON decoder, which
 * kube-apiserver uses, turns it into U+FFFD) becomes U+FFFD here too, so the literal matches
 * the claim as the API server sees it.
 */
export function celString(value: string): string {
  let out = "'";
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    // for…of yields a lone surrogate on its own: the replacement character instead.
    out += cp >= 0xd800 && cp <= 0xdfff ? '\\ufffd' : escapeCodePoint(ch, cp);
  }
  return `${out}'`;
}

function escapeCodePoint(ch: string, cp: number): string {
  if (ch === '\\') return '\\\\';
  if (ch === "'") return "\\'";
  if (ch === '"') return '\\"';
  if (cp >= 0x20 && cp < 0x7f) return ch;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}
