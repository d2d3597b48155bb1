// Bundles each command into one self-contained ESM file under dist/, so that
// `node dist/<cmd>.mjs` runs without node_modules (the forwarder container
// image gets exactly one file copied in).
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const entries = [
  { name: 'mqtt-forwarder', entry: 'forwarder/src/cli.ts' },
  { name: 'mqtt-testbench', entry: 'helpers/cli/main.ts' },
  // The load engine's worker threads (helpers/load/worker): Node cannot load the TypeScript sources.
  { name: 'load-worker', entry: 'helpers/load/worker/thread-entry.ts' },
  // The self-test's deliberately faulty forwarder (suites/selftest-forwarder.test.ts), run as a command: forwarder.
  { name: 'selftest-faulty-forwarder', entry: 'helpers/selftest/faulty-forwarder/main.ts' },
];

for (const { name, entry } of entries) {
  if (!existsSync(entry)) throw new Error(`bundle: entry ${entry} of ${name} does not exist`);
  await build({
    entryPoints: [entry],
    outfile: `dist/${name}.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    sourcemap: 'linked',
    logLevel: 'warning',
    // Bundled CommonJS dependencies (mqtt's ws, etc.) call require(); give them one.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __mtbCreateRequire } from 'node:module';\nconst require = __mtbCreateRequire(import.meta.url);",
    },
    // Optional native accelerators of ws; their absence is handled by ws itself.
    external: ['bufferutil', 'utf-8-validate'],
  });
}
