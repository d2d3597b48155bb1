// @ts-check
// Started (detached) by the global setup of a run: waits until its parent is gone (stdin closes
// when the parent exits for any reason, including SIGKILL), then reaps what the run left behind.
// This stands in for testcontainers' Ryuk, which cannot be pulled on registry-less machines.
import { reapRun } from './reap.mjs';

const [runDir, runId] = process.argv.slice(2);
if (!runDir || !runId) {
  console.error('usage: watchdog.mjs <runDir> <runId>');
  process.exit(2);
}

/** A container create that was in flight when the workers died lands a moment later: a second pass removes it. */
const SECOND_PASS_DELAY_MS = 1_500;

process.stdin.resume();
process.stdin.on('close', () => {
  // Test workers first: one that outlives its run (vitest exits at once on SIGINT and leaves busy
  // workers behind) would go on starting brokers after the reaping.
  reapRun({ runDir, runId }, { killWorkers: true, keepDir: true, ownerGone: true })
    .catch(() => undefined)
    .then(() => new Promise((resolve) => setTimeout(resolve, SECOND_PASS_DELAY_MS)))
    .then(() => reapRun({ runDir, runId }, { killWorkers: true, ownerGone: true }))
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
});
// Ignore the terminal's Ctrl-C: the parent's exit is what triggers the reaping.
process.on('SIGINT', () => {});
