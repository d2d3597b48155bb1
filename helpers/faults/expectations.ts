import type { TargetName } from '../targets/catalog.js';
import type { ForwarderDeclaration } from '../model/index.js';
import { targetByName } from '../targets/registry.js';
import type { FaultKind } from './inject.js';

/** What a fault-injection test asserts at QoS 1 for one fault, forwarder and broker pair. */
export interface FaultExpectation {
  /** Zero loss of confirmed QoS 1 messages is asserted (otherwise loss is measured and recorded). */
  qos1Lossless: boolean;
  /** Short phrase for the test name, e.g. `QoS 1 nothing lost (reference declares losslessAcrossRestart=true)`. */
  qos1Phrase: string;
  /** Why, in full sentences (the result's `expectations`). */
  reasons: string[];
}

export interface FaultSubject {
  forwarder: string;
  declaration: ForwarderDeclaration;
  downstream: TargetName;
  upstream: TargetName;
}

/**
 * The QoS 1 verdict rule per fault (the table in suites/faults.test.ts):
 * - forwarder kill -9 + restart: nothing lost iff the forwarder declares losslessAcrossRestart;
 * - forwarder pause: nothing lost for every forwarder (nothing dies: every session and every
 *   message in flight survives);
 * - broker restart: nothing lost iff that broker, started with persistence, keeps persistent
 *   sessions with their queued and in-flight messages across a graceful restart (the forwarder
 *   must hold what the broker did not acknowledge and send it again).
 */
export function faultExpectation(kind: FaultKind, subject: FaultSubject): FaultExpectation {
  const { forwarder, declaration } = subject;
  switch (kind) {
    case 'forwarder-kill': {
      const lossless = declaration.losslessAcrossRestart;
      return {
        qos1Lossless: lossless,
        qos1Phrase: `QoS 1 ${lossless ? 'nothing lost' : 'loss measured'} (${forwarder} declares losslessAcrossRestart=${lossless})`,
        reasons: [
          `${forwarder} declares losslessAcrossRestart=${lossless}: ${lossless ? 'no confirmed QoS 1 message may be lost across a kill -9 and restart' : 'QoS 1 loss across a kill -9 is recorded, not failed'}.`,
        ],
      };
    }
    case 'forwarder-pause':
      return {
        qos1Lossless: true,
        qos1Phrase: 'QoS 1 nothing lost (nothing dies during a pause)',
        reasons: [
          'A paused forwarder keeps its process, its connections and every message in flight: no confirmed QoS 1 message may be lost, whatever the forwarder declares.',
        ],
      };
    case 'upstream-restart':
    case 'downstream-restart': {
      const role = kind === 'upstream-restart' ? 'upstream' : 'downstream';
      const target = subject[role];
      const persistence = targetByName(target).restartPersistence;
      const lossless = persistence.sessions;
      return {
        qos1Lossless: lossless,
        qos1Phrase: `QoS 1 ${lossless ? 'nothing lost' : 'loss measured'} (${target} ${role} ${lossless ? 'keeps sessions across a restart with persistence' : 'loses its sessions on restart'})`,
        reasons: [
          `The ${role} broker (${target}) was started with persistence: ${persistence.note}`,
          lossless
            ? `So no confirmed QoS 1 message may be lost: the broker keeps what it acknowledged, and ${forwarder} must hold and resend what the broker did not acknowledge.`
            : 'So QoS 1 loss across its restart is recorded, not failed: the broker itself forgets what it had queued.',
        ],
      };
    }
  }
}

/** The QoS 0 rule, the same for every fault and forwarder. */
export const QOS0_PHRASE = 'QoS 0 loss measured, the stream resumes';
