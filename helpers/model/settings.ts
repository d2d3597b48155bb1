/** The run's settings as the layers read them; read and validated once by helpers/config/settings.ts. */

/** Which runtime starts the brokers (`auto`: the first that can run here). */
export type RuntimeChoice = 'auto' | 'container' | 'process' | 'embedded';

/** Workload sizes: `ci` (fast, gating) or `full` (the benchmark). */
export type Profile = 'ci' | 'full';

export interface Settings {
  /** Which runtime starts the brokers. Default `auto`. */
  runtime: RuntimeChoice;
  /**
   * Targets to run; `undefined` means every target that can run here. Names of the target catalog
   * (helpers/targets/catalog.ts), validated at the edge by `loadSettings`; plain strings here so that
   * the vocabulary imports nothing.
   */
  targets: string[] | undefined;
  /** Fail (instead of skip) when a selected target or forwarder cannot run. Default false. */
  strict: boolean;
  /** Workload sizes: `ci` (fast, gating) or `full` (the benchmark). Default `ci`. */
  profile: Profile;
  /**
   * Values of the settings the targets declare (image, binary), by variable name; only the ones set
   * in the environment. Targets read them with `targetSetting` (helpers/targets/target-setting.ts), which
   * applies the declared default.
   */
  targetSettings: Readonly<Record<string, string>>;
  /** Image the reference forwarder container runs on (needs `node` on PATH). */
  nodeImage: string;
  externalUrl: string | undefined;
  externalDownstreamUrl: string | undefined;
  externalUpstreamUrl: string | undefined;
  /** User name for external brokers whose URL carries none. */
  externalUsername: string | undefined;
  /** Password for external brokers whose URL carries none. Never logged (like securePassword). */
  externalPassword: string | undefined;
  /** PEM file of the CA that signed the external brokers' TLS certificates (mqtts://, wss://). */
  externalCaFile: string | undefined;
  /** Whether the external broker queues QoS 0 for offline persistent sessions (implementation-defined). */
  externalQueuesQos0: boolean;
  /** Whether the external broker speaks MQTT 5. */
  externalMqtt5: boolean;
  /**
   * Forwarders to put in the forwarding slot, e.g. `reference`, `mosquitto-bridge`, `image:x`,
   * `command:y`; empty (`none`): no forwarding topology, only the single-broker suites run.
   */
  forwarders: string[];
  /** JSON file with what an image:/command: forwarder promises (QoS policy, retain, losslessness, routes). */
  forwarderDeclaration: string | undefined;
  /**
   * Password of the mosquitto-secure target's user; `undefined` = random per run. Never logged:
   * settings problems name the variable, not its value.
   */
  securePassword: string | undefined;
  /** Budget for a broker or forwarder to become ready (wait strategy plus probe). */
  startupTimeoutMs: number;
  /** Budget for one MQTT probe round trip. */
  probeTimeoutMs: number;
  /** Folder the reports are written to. */
  reportDir: string;
  /** Gate file laid over fixtures/gates/default.json. */
  gatesFile: string | undefined;
}

export interface SettingSpec {
  name: string;
  defaultText: string;
  description: string;
}

/**
 * A setting a target declares in its folder: the image of its container runtime (`defaultValue`:
 * the official image at a pinned tag) or the binary of its process runtime (found at run time when
 * unset, as `defaultText` says).
 */
export interface TargetSettingSpec extends SettingSpec {
  kind: 'image' | 'binary';
  defaultValue?: string;
}
