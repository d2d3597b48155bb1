export type * from './broker.js';
export type * from './forwarder.js';
export type * from './result.js';
export type * from './settings.js';
