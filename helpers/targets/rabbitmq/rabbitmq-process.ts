import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable } from '../../runtime/process/find-executable.js';
import { describeExit, ManagedProcess } from '../../runtime/process/managed-process.js';
import { portTakenPerLogs, startOnFreePorts } from '../../runtime/ports.js';
import { runContext, shortRunId, uniqueName } from '../../runtime/run-context.js';
import { waitForListener } from '../../runtime/tcp-listener.js';
import { ENABLED_PLUGINS, RABBITMQ_READY_LINE, RABBITMQ_VERSION_LINE, rabbitmqConfig } from './rabbitmq-config.js';
import type { RabbitmqInstall } from './rabbitmq-settings.js';

const EPMD_READY_MS = 10_000;
/** The service user of Debian's package, which its start script expects to own the node's files. */
const SERVICE_USER = 'rabbitmq';

export interface RabbitmqProcessOptions {
  label: string;
  install: RabbitmqInstall;
  startupTimeoutMs: number;
}

export interface StartedRabbitmqProcess {
  /** The start script, leading a process group with the Erlang VM it runs. */
  node: ManagedProcess;
  port: number;
  url: string;
  version: string;
  /** Starts the node again with the same name, folder and ports, and waits for its ready line. */
  relaunch: () => Promise<void>;
  /** Stops the node's own epmd and removes its folder (after the node is gone). */
  cleanup: () => Promise<void>;
}

interface NodePorts {
  mqtt: number;
  dist: number;
  epmd: number;
}

/**
 * Starts an isolated RabbitMQ node: its own node name, folder (config, enabled plugins, feature
 * flags, Mnesia data, logs, Erlang cookie), MQTT listener, distribution port and epmd, all on
 * loopback, so two nodes of one run, or of two runs, never meet. Run as root, it runs as the
 * `rabbitmq` service user, as Debian's wrapper would, and its folder belongs to that user. A port
 * lost to a race ("eaddrinuse") is retried with new ports.
 */
export async function startRabbitmqProcess(options: RabbitmqProcessOptions): Promise<StartedRabbitmqProcess> {
  const user = serviceUser();
  const epmdBinary = findExecutable('epmd', undefined, ['/usr/lib/erlang/bin/epmd']);
  if (!epmdBinary) throw new Error(`${options.label}: no epmd (Erlang's port mapper) on PATH: install erlang-base.`);
  return startOnFreePorts(['mqtt', 'dist', 'epmd'], async (ports: NodePorts) => {
    const dir = join(runContext().runDir, uniqueName(options.label.replace(/[^a-z0-9-]+/gi, '-')));
    writeNodeFiles(dir, ports, options.install.version, user);
    const epmd = new ManagedProcess({
      label: `${options.label} epmd`,
      command: epmdBinary,
      args: ['-address', '127.0.0.1', '-port', String(ports.epmd)],
      ...(user ? { user } : {}),
    });
    const node = new ManagedProcess({
      label: options.label,
      command: options.install.script,
      args: [],
      cwd: dir,
      env: nodeEnvironment(dir, ports),
      processGroup: true,
      ...(user ? { user } : {}),
    });
    const cleanup = async () => {
      await epmd.terminate();
      rmSync(dir, { recursive: true, force: true });
    };
    const launch = async () => {
      const fromLine = node.logs.lineCount;
      await node.start();
      try {
        return await node.waitForLogLine(RABBITMQ_READY_LINE, options.startupTimeoutMs, fromLine);
      } catch (error) {
        await node.terminate();
        throw error;
      }
    };
    try {
      await epmd.start();
      await waitForListener('127.0.0.1', ports.epmd, EPMD_READY_MS, () =>
        epmd.exited ? `epmd exited with ${describeExit(epmd.exited)}: ${epmd.logs.tail(5)}` : undefined,
      );
      await launch();
      const version = node.logs
        .linesSince(0)
        .map((line) => RABBITMQ_VERSION_LINE.exec(line)?.[1])
        .find((v) => v !== undefined);
      return {
        node,
        port: ports.mqtt,
        url: `mqtt://127.0.0.1:${ports.mqtt}`,
        version: version ?? options.install.version,
        relaunch: async () => {
          await launch();
        },
        cleanup,
      };
    } catch (error) {
      await cleanup();
      throw portTakenPerLogs(error, `${node.logs.tail(40)}${epmd.logs.tail(10)}`, options.label);
    }
  });
}

/**
 * The environment of the node: every path and port it would otherwise take from Debian's defaults
 * (/etc/rabbitmq, /var/lib/rabbitmq, 4369, 25672) points into its folder or to its own ports.
 */
function nodeEnvironment(dir: string, ports: NodePorts): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOME: dir, // the Erlang cookie
    RABBITMQ_NODENAME: `mtb-${shortRunId()}-${uniqueName('rmq')}@localhost`,
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'), // absent: /etc/rabbitmq/rabbitmq-env.conf is not read
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONFIG_FILES: join(dir, 'conf.d'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'feature_flags'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_DIST_PORT: String(ports.dist),
    ERL_EPMD_PORT: String(ports.epmd),
    // The node registers with the epmd the harness started and stops; it never starts one itself
    // (an `epmd -daemon` would outlive the node and the run).
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-start_epmd false',
  };
}

function writeNodeFiles(dir: string, ports: NodePorts, version: string, user: ServiceUser | undefined): void {
  for (const sub of ['mnesia', 'log', 'conf.d']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'rabbitmq.conf'), rabbitmqConfig({ mqttListener: `127.0.0.1:${ports.mqtt}`, version }));
  writeFileSync(join(dir, 'enabled_plugins'), ENABLED_PLUGINS);
  if (user) chownTree(dir, user);
}

interface ServiceUser {
  uid: number;
  gid: number;
}

/** The `rabbitmq` user when the harness runs as root and the user exists; otherwise the node runs as the harness's user. */
function serviceUser(): ServiceUser | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${SERVICE_USER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : undefined;
}

function chownTree(path: string, user: ServiceUser): void {
  chownSync(path, user.uid, user.gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, user);
    else chownSync(child, user.uid, user.gid);
  }
}
