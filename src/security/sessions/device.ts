/**
 * A person-readable summary of a user agent: "Chrome on macOS", "kubelogin", "curl". A few
 * rules rather than a parser library: sigil's clients are browsers and a handful of command-
 * line programs, and a wrong guess costs only a less helpful label.
 */

/** Command-line programs, first match wins: their product token names them. */
const PROGRAMS: readonly (readonly [RegExp, string])[] = [
  [/kubelogin/i, 'kubelogin'],
  [/oidc-agent/i, 'oidc-agent'],
  [/kubectl/i, 'kubectl'],
  [/^curl\//i, 'curl'],
  [/^Wget\//i, 'wget'],
  [/^HTTPie\//i, 'HTTPie'],
  [/python-requests|python-urllib|aiohttp|httpx/i, 'Python program'],
  [/^Go-http-client\//, 'Go program'],
  [/^node(-fetch)?\b|undici/i, 'Node.js program'],
  [/^(okhttp|Java)\//i, 'Java program'],
];

/** Browsers, most specific first (Edge and Opera also say Chrome; Chrome also says Safari). */
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/HeadlessChrome\//, 'Headless Chrome'],
  [/Chrome\/|CriOS\//, 'Chrome'],
  [/Chromium\//, 'Chromium'],
  [/Version\/[\d.]+.*Safari\//, 'Safari'],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/Android/, 'Android'],
  [/iPhone|iPad|iPod/, 'iOS'],
  [/CrOS/, 'ChromeOS'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Windows/, 'Windows'],
  [/Linux|X11/, 'Linux'],
];

const first = (rules: readonly (readonly [RegExp, string])[], ua: string): string | undefined =>
  rules.find(([re]) => re.test(ua))?.[1];

export const UNKNOWN_DEVICE = 'Unknown device';

export function summariseDevice(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').trim();
  if (ua === '') return UNKNOWN_DEVICE;
  const program = first(PROGRAMS, ua);
  if (program !== undefined) return program;
  const browser = first(BROWSERS, ua);
  if (browser !== undefined) {
    const system = first(SYSTEMS, ua);
    return system === undefined ? browser : `${browser} on ${system}`;
  }
  // Something else: its first product token, bounded and printable.
  const product = /^[A-Za-z][\w.-]{0,39}/.exec(ua)?.[0];
  return product ?? UNKNOWN_DEVICE;
}
