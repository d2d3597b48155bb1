import type {
  BrokerBehaviour,
  BrokerClientOptions,
  CpuReading,
  Endpoint,
  ForwarderDeclaration,
  ForwarderKind,
  Liveness,
  RouteKind,
  RuntimeKind,
} from '../model/index.js';
import type { TargetName } from '../targets/catalog.js';
/**
 * Brokers and topologies shared by the test files of a run: the run's main process starts each one
 * once, when a file first asks for it (shared-server.ts), keeps it until the run ends, and answers
 * questions about it; a test worker holds a stand-in built from plain data (shared-client.ts). A
 * file that kills, restarts or pauses what it tests, or needs persistence, starts its own instead.
 *
 * The protocol: one JSON object per line over a Unix socket in the run's folder, each request with
 * an id its answer repeats.
 */

/** What a file asks for: one target's broker, or one forwarding topology of the run plan. */
export type SharedKey = { kind: 'broker'; target: TargetName } | { kind: 'topology'; id: string };

/** Which part of a shared thing a question is about. */
export type SharedPart = 'broker' | 'downstream' | 'upstream' | 'forwarder';

export type SharedRequest =
  | { id: number; op: 'acquire'; key: SharedKey }
  | { id: number; op: 'liveness' | 'cpuTime'; key: SharedKey; part: SharedPart }
  | { id: number; op: 'logTail'; key: SharedKey; part: SharedPart; lines: number };

export type SharedAnswer = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface SharedBrokerInfo {
  target: string;
  label: string;
  runtime: RuntimeKind;
  version: string;
  url: string;
  peer: Endpoint;
  behaviour: BrokerBehaviour;
  clientOptions?: BrokerClientOptions;
}

export interface SharedForwarderInfo {
  kind: ForwarderKind;
  name: string;
  label: string;
  runtime: RuntimeKind;
  declaration: ForwarderDeclaration;
  configText: string;
}

export interface SharedTopologyInfo {
  id: string;
  runtime: RuntimeKind;
  downstream: SharedBrokerInfo;
  upstream: SharedBrokerInfo;
  forwarder: SharedForwarderInfo;
  /** The routes the forwarder implements, with the rules it was configured with. */
  routes: { kind: RouteKind; sourceFilter: string; targetPattern: string }[];
  /** Its start to passing end-to-end probe, in the main process, ms. */
  startupMs: number;
}

export type SharedInfo = SharedBrokerInfo | SharedTopologyInfo;

/** Answers to the questions a stand-in forwards to the main process. */
export interface SharedAnswers {
  liveness: Liveness;
  cpuTime: CpuReading;
  logTail: string;
}

export function keyText(key: SharedKey): string {
  return key.kind === 'broker' ? `broker ${key.target}` : `topology ${key.id}`;
}
