// Entry point of dist/mqtt-forwarder.mjs. Only runs main.

import { EXIT_FAILURE, main } from './main.js';

function fatal(kind: string, error: unknown): never {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: kind, error: message })}\n`,
  );
  process.exit(EXIT_FAILURE);
}

process.on('unhandledRejection', (reason) => fatal('unhandled rejection', reason));
process.on('uncaughtException', (error) => fatal('uncaught exception', error));

main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  env: process.env,
  cwd: process.cwd(),
}).then(
  (code) => process.exit(code),
  (error: unknown) => fatal('fatal error', error),
);
