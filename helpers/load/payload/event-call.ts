/**
 * The reference forwarder's `EventCall` transform (sunsheng/mqtt-forwarder-deploy
 * src/message_handlers.c): the original payload JSON under "data", plus fixed
 * fields and the last topic level as webtalkID, printed compactly by cJSON.
 * Used by tests and simulators to produce exactly what the forwarder sends.
 */
export function wrapEventCall(payload: Buffer, topic: string): Buffer {
  const webtalkId = topic.slice(topic.lastIndexOf('/') + 1);
  return Buffer.concat([
    Buffer.from('{"data":', 'latin1'),
    payload,
    Buffer.from(
      `,"operationType":"uploadRtd","projectID":"X2View","requestType":"wrequest","serialNo":0,"webtalkID":${JSON.stringify(webtalkId)}}`,
      'utf8',
    ),
  ]);
}
