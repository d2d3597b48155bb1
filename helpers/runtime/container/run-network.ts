import { StartedNetwork } from 'testcontainers';
import { uniqueName, runContext } from '../run-context.js';
import { dockerClient, runLabels } from './docker.js';

/**
 * A user-defined bridge network for one topology, labelled with the run id so the reaper removes
 * it if the run dies (testcontainers' own Network only carries Ryuk's session label).
 */
export async function startRunNetwork(): Promise<StartedNetwork> {
  const client = await dockerClient();
  const name = `mtb-${runContext().runId}-${uniqueName('net')}`;
  const network = await client.network.create({
    Name: name,
    CheckDuplicate: true,
    Driver: 'bridge',
    Labels: runLabels(),
  });
  return new StartedNetwork(client, name, network);
}

/** Attaches a running container to one more network, where `alias` names it. */
export async function attachToNetwork(containerId: string, network: StartedNetwork, alias: string): Promise<void> {
  const client = await dockerClient();
  await client.container.connectToNetwork(
    client.container.getById(containerId),
    client.network.getById(network.getId()),
    [alias],
  );
}
