// The callback registry: the names a rule's "callback" may take and the
// payload transform each one selects.

import { commandCall } from './command-call.js';
import { eventCall, eventCallSuffix, webtalkIdOf } from './event-call.js';

export const CALLBACK_NAMES = ['EventCall', 'CommandCall'] as const;
export type CallbackName = (typeof CALLBACK_NAMES)[number];
/** Spellings of "no callback" (forward the payload unchanged), besides null or no field. */
export const PASS_THROUGH_NAMES = ['None'] as const;

/** A transformed payload, or a string saying why the payload was rejected. */
export type PayloadTransform = (payload: Buffer) => Buffer | string;

export function isCallbackName(name: string): name is CallbackName {
  return (CALLBACK_NAMES as readonly string[]).includes(name);
}

/** The transform of a callback for messages from one source topic. */
export function transformFor(name: CallbackName, sourceTopic: string): PayloadTransform {
  switch (name) {
    case 'EventCall': {
      const webtalkId = webtalkIdOf(sourceTopic);
      if (webtalkId === null) {
        const reason = `topic "${sourceTopic}" has an empty last level, so there is no webtalkID`;
        return () => reason;
      }
      const suffix = eventCallSuffix(webtalkId);
      return (payload) => eventCall(payload, suffix);
    }
    case 'CommandCall':
      return commandCall;
  }
}
