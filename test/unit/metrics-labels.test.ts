import { describe, expect, it } from 'vitest';
import { createMetrics, grantLabel, methodLabel, routeLabel } from '../../src/metrics/index.js';

describe('low-cardinality labels', () => {
  it.each([
    ['/token', undefined, '/token'],
    ['/.well-known/openid-configuration', undefined, '/.well-known/openid-configuration'],
    ['/interaction/Xk2jd93_kdLw0', undefined, '/interaction/:uid'],
    ['/interaction/Xk2jd93_kdLw0/login', undefined, '/interaction/:uid/login'],
    ['/interaction/Xk2jd93_kdLw0/whatever', undefined, 'other'],
    ['/auth/abcdef123', undefined, '/auth/:uid'],
    ['/device/abcdef123', undefined, '/device/:uid'],
    ['/assets/sigil.css', undefined, '/assets/:file'],
    ['/wp-login.php', undefined, 'other'],
    ['/../../etc/passwd', undefined, 'other'],
    ['/kubeconfig/prod', '/kubeconfig/:cluster', '/kubeconfig/:cluster'],
    ['/x', '(.*)', 'other'],
    ['/x', /re/, 'other'],
  ] as const)('%s (router %s) → %s', (path, matched, label) => {
    expect(routeLabel(path, matched)).toBe(label);
  });

  it('bounds methods and grant types', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('PROPFIND')).toBe('other');
    expect(grantLabel('urn:ietf:params:oauth:grant-type:device_code')).toBe('device_code');
    expect(grantLabel('authorization_code')).toBe('authorization_code');
    expect(grantLabel('x'.repeat(200))).toBe('other');
  });
});

describe('createMetrics', () => {
  it('starts the configured series at zero and counts into its own registry', async () => {
    const a = createMetrics({
      connectors: [{ id: 'corp', type: 'ldap' }],
      clients: [{ id: 'kubectl', grants: ['authorization_code'] }],
      processMetrics: false,
    });
    const b = createMetrics({ connectors: [], clients: [], processMetrics: false });
    a.login('corp', 'success');
    a.httpRequest('/token', 'POST', 200, 0.01);
    const text = await a.render();
    expect(text).toContain('sigil_logins_total{connector="corp",outcome="success"} 1');
    expect(text).toContain('sigil_logins_total{connector="corp",outcome="unavailable"} 0');
    expect(text).toContain('sigil_ldap_failovers_total{connector="corp"} 0');
    expect(text).toContain(
      'sigil_tokens_issued_total{grant="authorization_code",client="kubectl"} 0',
    );
    expect(text).toContain(
      'sigil_http_request_duration_seconds_count{route="/token",method="POST",status="200"} 1',
    );
    expect(text).not.toContain('process_cpu');
    expect(await b.render()).not.toContain('connector="corp"');
  });
});
