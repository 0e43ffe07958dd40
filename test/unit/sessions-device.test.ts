import { describe, expect, it } from 'vitest';
import { summariseDevice, UNKNOWN_DEVICE } from '../../src/security/index.js';

describe('the device a user agent is summarised as', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome on macOS',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Edge on Windows',
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Firefox on Linux'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
    ['kubelogin/v1.32.0 (linux/amd64)', 'kubelogin'],
    ['curl/8.11.1', 'curl'],
    ['oidc-agent/5.2.3', 'oidc-agent'],
    ['Go-http-client/1.1', 'Go program'],
    ['python-requests/2.32.3', 'Python program'],
    ['MyTool/1.0 (+https://example.com)', 'MyTool'],
    ['', UNKNOWN_DEVICE],
    [undefined, UNKNOWN_DEVICE],
    ['<script>alert(1)</script>', UNKNOWN_DEVICE],
    ['A'.repeat(500), 'A'.repeat(40)],
  ])('%s → %s', (ua, device) => {
    expect(summariseDevice(ua)).toBe(device);
  });
});
