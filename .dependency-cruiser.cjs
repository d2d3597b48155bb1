/**
 * The dependency rules of the harness (docs/architecture.md, "Layers"), checked by `npm run lint`:
 * no import cycles, the layer order of helpers/, a vocabulary that imports nothing, a load engine
 * free of the testbed and runtimes, pure statistics, a reference forwarder that stands alone, and
 * suites that reach helpers/ through each folder's index.ts.
 */

/** helpers/ folders from the bottom up: a folder imports only folders below it (and itself). */
const LAYERS = [
  'model',
  'stats',
  'security',
  'load',
  'runtime',
  'targets',
  'config',
  'forwarders',
  'mqtt',
  'testbed',
  'gates',
  'report',
  'scenario',
  'faults',
  'vitest',
  'selftest',
  'cli',
];

/**
 * Test files, and test support that starts real brokers or child runs, may reach up where a test
 * needs a higher layer (e.g. load's tests start a local Mosquitto through targets/).
 */
const TEST_CODE = ['\\.test\\.ts$', '^helpers/[^/]+/testing/', '^forwarder/test/'];

const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer}`,
  comment: `helpers/${layer} must not import a layer above it (${LAYERS.slice(index + 1).join(', ')}): see docs/architecture.md, "Layers".`,
  severity: 'error',
  from: { path: `^helpers/${layer}/`, pathNot: TEST_CODE },
  to: { path: `^helpers/(${LAYERS.slice(index + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Modules of helpers/ and forwarder/ import each other in a cycle: move what both need below both.',
      severity: 'error',
      from: { path: '^(helpers|forwarder)/', pathNot: TEST_CODE },
      to: { circular: true },
    },
    {
      name: 'model-imports-nothing',
      comment:
        'helpers/model is the shared vocabulary: types only, no import from outside the folder (not even a type).',
      severity: 'error',
      from: { path: '^helpers/model/' },
      to: { pathNot: '^helpers/model/' },
    },
    {
      name: 'load-engine-independent',
      comment: 'The load engine runs against any broker URL: it never imports the testbed or the runtimes.',
      severity: 'error',
      from: { path: '^helpers/load/', pathNot: TEST_CODE },
      to: { path: '^helpers/(testbed|runtime)/' },
    },
    {
      name: 'stats-pure',
      comment:
        'helpers/stats computes on numbers: it imports only helpers/model, its own files and npm packages, no node: module.',
      severity: 'error',
      from: { path: '^helpers/stats/', pathNot: TEST_CODE },
      to: { pathNot: ['^helpers/(stats|model)/', '^node_modules/'] },
    },
    {
      name: 'forwarder-stands-alone',
      comment: 'The reference forwarder is its own program: forwarder/ imports nothing from helpers/.',
      severity: 'error',
      from: { path: '^forwarder/', pathNot: '^forwarder/test/' },
      to: { path: '^helpers/' },
    },
    {
      name: 'harness-talks-mqtt-to-forwarder',
      comment: 'The harness tests the reference forwarder over MQTT only: no import of its sources.',
      severity: 'error',
      from: { path: '^(helpers|suites)/' },
      to: { path: '^forwarder/src/' },
    },
    {
      name: 'suites-through-index-files',
      comment:
        "Suites import a helpers/ folder through its index.ts, the folder's public entry, never a file inside it (vitest/testing has its own).",
      severity: 'error',
      from: { path: '^suites/' },
      to: { path: '^helpers/', pathNot: '^helpers/([^/]+|vitest/testing)/index\\.ts$' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
