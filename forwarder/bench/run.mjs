// Builds the forwarder bundle and the benchmark, then runs the benchmark.
//   node forwarder/bench/run.mjs [--quick]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';

const built = spawnSync(process.execPath, ['helpers/build/bundle.mjs'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);
await build({
  entryPoints: ['forwarder/bench/forwarder-bench.ts'],
  outfile: 'dist/forwarder-bench.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  logLevel: 'warning',
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  external: ['esbuild'],
});
const run = spawnSync(process.execPath, ['dist/forwarder-bench.mjs', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(run.status ?? 1);
