import { expect, test } from 'vitest';
import { mosquittoConfig } from './mosquitto-config.js';

const security = {
  cafile: '/c/ca.pem',
  certfile: '/c/server.pem',
  keyfile: '/c/server.key',
  passwordFile: '/c/passwords',
  aclFile: '/c/acl',
};

test("a secured listener serves TLS with the run's files and admits only users of the password file, within the ACL", () => {
  const lines = mosquittoConfig({ port: 8883, security }).split('\n');
  const listener = lines.indexOf('listener 8883');
  expect(lines.slice(listener, listener + 7)).toEqual([
    'listener 8883',
    'cafile /c/ca.pem',
    'certfile /c/server.pem',
    'keyfile /c/server.key',
    'allow_anonymous false',
    'password_file /c/passwords',
    'acl_file /c/acl',
  ]);
  expect(lines).not.toContain('allow_anonymous true');
  expect(mosquittoConfig({ port: 1883 }).split('\n')).toContain('allow_anonymous true');
});

test('a bridge to a secured broker sends its credentials and verifies the broker with the CA file (bridge_insecure stays off)', () => {
  const config = mosquittoConfig({
    port: 1883,
    bridges: [
      {
        name: 'to-upstream',
        address: 'mqtt-broker-upstream',
        port: 8883,
        topics: [{ pattern: 'a/#', direction: 'out', qos: 2 }],
        cleanSession: false,
        clientId: 'b',
        tryPrivate: true,
        remote: { username: 'u', password: 'p', cafile: '/c/up-ca.pem' },
      },
    ],
  });
  expect(config).toContain('remote_username u\nremote_password p\nbridge_cafile /c/up-ca.pem\n');
  expect(config).not.toContain('bridge_insecure');
});
