import { describe, expect, test } from 'vitest';
import { ErrorWithReasonCode } from 'mqtt';
import {
  classifyConnectFailure,
  connectOptionsFor,
  describeConnectFailure,
  isDefinitiveRefusal,
} from './client-options.js';

const secure = {
  label: 'mosquitto-secure (process)',
  url: 'mqtts://127.0.0.1:40001',
  clientOptions: { username: 'mqtt-testbench', password: 'pw-0123456789', ca: 'PEM' },
};
const plain = { label: 'mosquitto (process)', url: 'mqtt://127.0.0.1:40002' };

describe('connectOptionsFor', () => {
  test('merges the options of brokers that share them, and an open broker adds nothing', () => {
    expect(connectOptionsFor(secure, { ...secure, label: 'other', url: 'mqtts://127.0.0.1:40003' })).toEqual(
      secure.clientOptions,
    );
    expect(connectOptionsFor(plain)).toEqual({});
    expect(connectOptionsFor(plain, secure)).toEqual(secure.clientOptions);
  });

  test('refuses brokers that need different values, naming both (the load engine takes one set)', () => {
    expect(() =>
      connectOptionsFor(secure, {
        ...secure,
        label: 'upstream',
        clientOptions: { ...secure.clientOptions, password: 'another-pw-1' },
      }),
    ).toThrow(/mosquitto-secure \(process\) and upstream need different password values/);
  });
});

describe('describeConnectFailure', () => {
  test('refused credentials: names the broker and the user, says authentication failed, never shows the password', () => {
    const error = new ErrorWithReasonCode('Connection refused: Not authorized', 5);
    expect(classifyConnectFailure(error)).toBe('credentials');
    expect(isDefinitiveRefusal(error)).toBe(true);
    const message = describeConnectFailure(secure, error, { username: 'mqtt-testbench', password: 'wrong-password' });
    expect(message).toBe(
      'mosquitto-secure (process) at mqtts://127.0.0.1:40001 refused the credentials: authentication failed (CONNACK "Not authorized", code 5) for user "mqtt-testbench" with a password.',
    );
    expect(
      describeConnectFailure(
        secure,
        new ErrorWithReasonCode('Connection refused: Bad User Name or Password', 0x86),
        {},
      ),
    ).toContain('for no user name or password');
  });

  test('an untrusted certificate and a plain client on a TLS port are told apart', () => {
    const untrusted = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(isDefinitiveRefusal(untrusted)).toBe(true);
    expect(describeConnectFailure(secure, untrusted, {})).toContain(
      "TLS handshake failed, the broker's certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain); no CA was given for this broker",
    );
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(isDefinitiveRefusal(reset)).toBe(false);
    expect(describeConnectFailure({ ...secure, url: 'mqtt://127.0.0.1:40001' }, reset)).toContain(
      'closed the connection before answering CONNECT (read ECONNRESET); if this port is a TLS listener, connect with mqtts://',
    );
  });
});
