import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** Mosquitto 2.x password hash: `$7$<iterations>$<salt base64>$<PBKDF2-HMAC-SHA512 base64>`. */
const HASH_ID = 7;
/** What mosquitto_passwd 2.0 writes (`PW_DEFAULT_ITERATIONS`); the broker reads the count from the line. */
export const MOSQUITTO_PBKDF2_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

/**
 * One line of a Mosquitto password file, as `mosquitto_passwd -b` writes it, computed here instead
 * of running the tool: the password then never appears on a command line (visible in `ps`), and
 * the container runtime needs no `mosquitto_passwd` in the image (the offline image built from
 * Debian's package has none, and no shell to run it with).
 */
export function mosquittoPasswordLine(
  username: string,
  password: string,
  salt: Buffer = randomBytes(SALT_BYTES),
  iterations = MOSQUITTO_PBKDF2_ITERATIONS,
): string {
  if (username === '' || /[:\s]/.test(username))
    throw new Error(
      `user name "${username}" cannot go into a Mosquitto password file: use a non-empty name without ":" or white space.`,
    );
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `${username}:$${HASH_ID}$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
