// Broker host validation: an IPv4 or IPv6 address, or a DNS name.

import { isIP } from 'node:net';

const MAX_HOST_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
const IPV4_OCTETS = 4;
const MAX_OCTET = 255;
const LOOKS_NUMERIC = /^[0-9.]+$/;
// Letters, digits, hyphens (not first or last); "_" is accepted because Docker
// service names (used as hosts in compose and testcontainers networks) may carry it.
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;

/** Why `host` is not a usable broker host, or null. */
export function hostError(host: string): string | null {
  if (isIP(host) !== 0) return null;
  if (LOOKS_NUMERIC.test(host)) {
    const octets = host.split('.');
    const bad = octets.find((o) => o === '' || Number(o) > MAX_OCTET || (o.length > 1 && o.startsWith('0')));
    if (octets.length !== IPV4_OCTETS)
      return `"${host}" is not an IPv4 address: it needs exactly 4 numbers 0-255 separated by dots`;
    return `"${host}" is not an IPv4 address: "${bad ?? ''}" is not a number from 0 to ${MAX_OCTET}`;
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > MAX_HOST_LENGTH) {
    return `"${host}" is not a valid host name: it must have 1 to ${MAX_HOST_LENGTH} characters`;
  }
  for (const label of name.split('.')) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) {
      return `"${host}" is not a valid host name: label "${label}" must be 1-${MAX_LABEL_LENGTH} letters, digits or hyphens, not starting or ending with a hyphen; use an IPv4/IPv6 address or a DNS name`;
    }
  }
  return null;
}
