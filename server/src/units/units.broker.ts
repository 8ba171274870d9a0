// Whether a unit's revoked or rotated secret cuts it off at once (issue #4). The embedded broker
// disconnects the unit itself; broker nodes read credentials from Redis; an external Mosquitto is
// told only when the server keeps its files (MQTT_EXPORT_DIR) and may make it reload
// (MQTT_RELOAD_PID_FILE). Otherwise the unit stays connected with its old secret, and the
// administrator must hear so: in the log at start, and in the revoke/rotate answer.
import type { Config } from '../config.js';

export interface BrokerEnforcement {
  applied: boolean;
  /** What the administrator must do themselves, when not applied. */
  message?: string;
}

export function brokerEnforcement(
  config: Pick<Config, 'mqttUrl' | 'redisUrl' | 'mqttExportDir' | 'mqttReloadPidFile'>,
): BrokerEnforcement {
  if (!config.mqttUrl || config.redisUrl) return { applied: true };
  if (!config.mqttExportDir)
    return {
      applied: false,
      message:
        'The external broker is not managed by this server (MQTT_EXPORT_DIR is unset): a revoked or rotated unit stays connected with its old secret until you export the broker configuration (npm run broker:export) and reload the broker.',
    };
  if (!config.mqttReloadPidFile)
    return {
      applied: false,
      message:
        "The broker's password and ACL files were rewritten, but the broker is not told to reload them (MQTT_RELOAD_PID_FILE is unset): a revoked or rotated unit stays connected until you reload it.",
    };
  return { applied: true };
}
