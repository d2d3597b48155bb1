/**
 * Credentials for brokers named on the command line: a user name as an option, the password from
 * a file (--password-file) or from MQTT_TESTBENCH_EXTERNAL_PASSWORD, never from an option, so that
 * it is in no command line (`ps` shows those to every user of the machine) and never echoed.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from './args.js';

export const PASSWORD_ENV = 'MQTT_TESTBENCH_EXTERNAL_PASSWORD';
const MAX_PASSWORD_LENGTH = 65_535;

export interface PasswordSource {
  password: string;
  /** Where it came from, for the plan: `--password-file secrets/pw` or the variable's name. */
  from: string;
}

/** The password of `--password-file FILE` (one trailing line break is not part of it), or of the environment. */
export function readPassword(
  file: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): PasswordSource | undefined {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new UsageError(
        `--password-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give a file that holds the password on its first line.`,
      );
    }
    const password = text.replace(/\r?\n$/, '');
    checkPassword(password, `--password-file ${file}`);
    return { password, from: `--password-file ${file}` };
  }
  const fromEnv = env[PASSWORD_ENV];
  if (fromEnv === undefined || fromEnv === '') return undefined;
  checkPassword(fromEnv, PASSWORD_ENV);
  return { password: fromEnv, from: PASSWORD_ENV };
}

function checkPassword(password: string, from: string): void {
  if (password === '') throw new UsageError(`${from} holds an empty password: write the password into it.`);
  if (/[\r\n]/.test(password) || password.length > MAX_PASSWORD_LENGTH)
    throw new UsageError(
      `${from} is not usable as a password (its value is not shown): one line of at most ${MAX_PASSWORD_LENGTH} characters.`,
    );
}

/** The contents of a PEM file named by an option (--ca, --cert, --key), or a UsageError naming the option. */
export function readPemOption(option: string, file: string, cwd: string): Buffer {
  try {
    return readFileSync(resolve(cwd, file));
  } catch (error) {
    throw new UsageError(
      `--${option} ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): give the path of a PEM file.`,
    );
  }
}
