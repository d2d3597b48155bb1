/** MQTT quality of service level. */
export type QoS = 0 | 1 | 2;
