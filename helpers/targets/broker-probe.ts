import type { BrokerEndpoint, Settings, StartedComponent } from '../model/index.js';
import { mqttProbe } from '../runtime/mqtt-probe.js';
import { ReadinessError } from '../runtime/readiness-error.js';
import { runContext, uniqueName } from '../runtime/run-context.js';
import { redactUrl } from '../security/redact.js';

/**
 * The protocol half of readiness: connect, subscribe, publish and receive on a unique topic.
 * On failure the error names the broker, the probe and its budget, and shows the last log lines.
 * The budget is the probe's (MQTT_TESTBENCH_PROBE_TIMEOUT_MS) after a wait strategy proved the
 * broker up; a restart that re-probes without one passes the broker's start-up budget instead.
 */
export async function probeBroker(
  component: StartedComponent,
  endpoint: BrokerEndpoint,
  settings: Settings,
  isAlive?: () => string | undefined,
  timeoutMs = settings.probeTimeoutMs,
): Promise<void> {
  const topic = `mtb/${runContext().runId}/probe/${uniqueName('broker')}`;
  const started = Date.now();
  try {
    await mqttProbe({
      publishTo: endpoint,
      subscribeTo: endpoint,
      publishTopic: topic,
      timeoutMs,
      abortReason: isAlive,
    });
  } catch (error) {
    throw new ReadinessError(
      component.label,
      `MQTT probe (connect, subscribe, publish, receive at ${redactUrl(endpoint.url)})`,
      Date.now() - started,
      await component.logTail(30),
      error,
    );
  }
}

/** Runs `use` and disposes `component` if it throws, so a failed start leaves nothing behind. */
export async function disposeOnFailure<T>(component: StartedComponent, use: () => Promise<T>): Promise<T> {
  try {
    return await use();
  } catch (error) {
    await component.dispose();
    throw error;
  }
}
