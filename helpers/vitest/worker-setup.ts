// Runs in every test worker before its test files: adopts the run started by the global setup.
import { inject } from 'vitest';
import { exportRunContext } from '../runtime/run-context.js';
import './provided.js';

exportRunContext(inject('runContext'));
