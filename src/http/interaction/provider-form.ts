/**
 * The action URL and xsrf token of a form oidc-provider generated (device flow). sigil renders
 * its own accessible form with them instead of the provider's markup (which relies on inline
 * script that the CSP forbids).
 */
export function providerForm(form: string): { action: string; xsrf: string } {
  const action = /action="([^"]+)"/.exec(form)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(form)?.[1];
  if (action === undefined || xsrf === undefined)
    throw new Error('unexpected oidc-provider form markup');
  return { action: unescapeHtml(action), xsrf: unescapeHtml(xsrf) };
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
