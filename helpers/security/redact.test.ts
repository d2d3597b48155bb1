import { describe, expect, test } from 'vitest';
import { redact, redactDeep, redactUrl, REDACTED, registerSecret } from './redact.js';

describe('redact', () => {
  test('a URL keeps its user name and loses its password, wherever it appears in a message', () => {
    expect(redactUrl('mqtts://alice:s3cr3t-pw@broker:8883')).toBe(`mqtts://alice:${REDACTED}@broker:8883`);
    expect(redact('connect to mqtt://bob:hunter2x@10.0.0.1:1883 failed: ECONNREFUSED')).toBe(
      `connect to mqtt://bob:${REDACTED}@10.0.0.1:1883 failed: ECONNREFUSED`,
    );
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  });

  test('password fields of generated configs are redacted (forwarder JSON, mosquitto.conf bridge lines)', () => {
    const json = JSON.stringify(
      { clients: [{ name: 'up', username: 'u', password: 'pa"ss word' }], mqtt: { password: null } },
      null,
      2,
    );
    const out = redact(json);
    expect(out).not.toContain('pa\\"ss word');
    expect(JSON.parse(out)).toEqual({
      clients: [{ name: 'up', username: 'u', password: REDACTED }],
      mqtt: { password: null },
    });
    expect(
      redact('connection to-upstream\nremote_username u\nremote_password p@ss w0rd\nbridge_cafile /x/ca.pem'),
    ).toBe(`connection to-upstream\nremote_username u\nremote_password ${REDACTED}\nbridge_cafile /x/ca.pem`);
  });

  test('known secrets are redacted literally, also JSON- and XML-escaped; short values are not treated as secrets', () => {
    registerSecret('Zq9-registered-secret');
    expect(redact('log: Zq9-registered-secret')).toBe(`log: ${REDACTED}`);
    expect(redact('<failure message="a &lt;b&gt;&amp;c"/>', ['a <b>&c'])).toBe(`<failure message="${REDACTED}"/>`);
    expect(redact('{"m":"x\\"y-quoted"}', ['x"y-quoted'])).toBe(`{"m":"${REDACTED}"}`);
    expect(redact('the word pass stays', ['pass'])).toBe('the word pass stays');
  });

  test('redactDeep keeps the shape of a report and redacts every string in it', () => {
    const report = {
      run: { errors: ['boom mqtt://u:pw-in-url@h:1'] },
      n: 3,
      nested: [{ note: 'has other-secret-1 inside' }],
      none: null,
    };
    expect(redactDeep(report, ['other-secret-1'])).toEqual({
      run: { errors: [`boom mqtt://u:${REDACTED}@h:1`] },
      n: 3,
      nested: [{ note: `has ${REDACTED} inside` }],
      none: null,
    });
  });
});
