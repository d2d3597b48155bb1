import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { redact } from '../../security/redact.js';
import { clientEndpoint } from './external-target.js';
import { fileTempDir } from '../../vitest/testing/file-temp-dir.js';

const dir = fileTempDir('mtb-external-');
const NONE = { externalUsername: undefined, externalPassword: undefined, externalCaFile: undefined };

describe('external broker endpoints', () => {
  test('credentials in the URL become client options, and the URL shown has none', () => {
    expect(clientEndpoint('mqtt://alice:url-secret-1@broker:1883', NONE)).toEqual({
      url: 'mqtt://broker:1883',
      clientOptions: { username: 'alice', password: 'url-secret-1' },
    });
    expect(redact('failed with url-secret-1')).toBe('failed with ***');
  });

  test('a URL without credentials takes MQTT_TESTBENCH_EXTERNAL_USERNAME/_PASSWORD and the CA file', () => {
    const ca = join(dir(), 'ca.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const settings = { externalUsername: 'bob', externalPassword: 'env-secret-2', externalCaFile: ca };
    expect(clientEndpoint('mqtts://broker:8883', settings)).toEqual({
      url: 'mqtts://broker:8883',
      clientOptions: {
        username: 'bob',
        password: 'env-secret-2',
        ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      },
    });
    expect(redact('refused env-secret-2')).toBe('refused ***');
    // The URL's own credentials win over the settings' (one broker may differ from the others).
    expect(clientEndpoint('mqtts://carol:own-3@broker:8883', settings).clientOptions).toMatchObject({
      username: 'carol',
      password: 'own-3',
    });
  });

  test('nothing to add: the URL as given, no client options', () => {
    expect(clientEndpoint('mqtt://broker:1883', NONE)).toEqual({ url: 'mqtt://broker:1883' });
  });
});
