import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Availability, ForwarderDeclaration, RuntimeKind, Settings, StartedForwarder } from '../model/index.js';
import { ManagedProcess } from '../runtime/process/managed-process.js';
import { ProcessComponent } from '../runtime/process/process-component.js';
import { runContext, uniqueName } from '../runtime/run-context.js';
import { redact } from '../security/redact.js';
import type { ForwarderDefinition, ForwarderStartContext } from './forwarder.js';
import { clientSecurity, forwarderConfig, writeRunCaFile } from './forwarder-config.js';

const CONFIG_PLACEHOLDER = '{config}';

/**
 * A forwarder started as a local process by a command line. The generated config's path replaces
 * `{config}` in the command, or is appended as the last argument. It reaches the brokers through
 * their host ports, so it works with every runtime.
 */
export function commandForwarder(commandLine: string, declaration: ForwarderDeclaration): ForwarderDefinition {
  const name = `command:${commandLine}`;
  return {
    kind: 'command',
    name,
    declaration,
    availability(_runtime: RuntimeKind, _settings: Settings): Promise<Availability> {
      return Promise.resolve({ ok: true, detail: 'started through /bin/sh' });
    },
    async start(context: ForwarderStartContext): Promise<StartedForwarder> {
      const label = `${name} (process)`;
      const configText = forwarderConfig({
        downstream: context.downstreamHost,
        upstream: context.upstreamHost,
        rules: context.rules.filter((rule) => declaration.routes.includes(rule.route)),
        clientIdPrefix: context.clientIdPrefix,
        persistentSession: true,
        downstreamSecurity: clientSecurity(context.downstreamClientOptions, writeRunCaFile),
        upstreamSecurity: clientSecurity(context.upstreamClientOptions, writeRunCaFile),
      });
      const configPath = join(runContext().runDir, `${uniqueName('forwarder')}.json`);
      writeFileSync(configPath, configText, { mode: 0o600 }); // it may hold a broker password
      const line = commandLine.includes(CONFIG_PLACEHOLDER)
        ? commandLine.replaceAll(CONFIG_PLACEHOLDER, shellQuote(configPath))
        : `${commandLine} ${shellQuote(configPath)}`;
      // exec: the shell is replaced, so signals (kill -9, SIGSTOP) reach the forwarder itself.
      const proc = new ManagedProcess({ label, command: '/bin/sh', args: ['-c', `exec ${line}`] });
      const component = new ProcessComponent(
        label,
        proc,
        () => proc.start(),
        () => rmSync(configPath, { force: true }),
      );
      try {
        await proc.start();
      } catch (error) {
        await component.dispose();
        throw error;
      }
      return {
        kind: 'command',
        name,
        declaration,
        configText: redact(configText),
        label,
        runtime: 'process',
        faults: component.faults,
        logTail: (lines) => component.logTail(lines),
        liveness: () => component.liveness(),
        cpuTime: () => component.cpuTime(),
        dispose: () => component.dispose(),
      };
    },
  };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
