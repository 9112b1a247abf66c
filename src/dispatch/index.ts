import { hosted, type HostedBehavior } from '../../actors/behavior.ts';
import { cellBehavior } from './cell-behavior.ts';
import { dispatchSettings, type DispatchSettings } from './config.ts';
import { dispatchBehavior } from './dispatch-behavior.ts';
import { driverBehavior } from './driver-behavior.ts';
import { zoneBehavior } from './zone-behavior.ts';

export { DEFAULT_DISPATCH_SETTINGS, dispatchSettings, type DispatchSettings } from './config.ts';
export { cellAddress, dispatchAddress, driverAddress, driverRoom, orderAddress, zoneAddress } from './effects.ts';
export { cellBehavior, dispatchBehavior, driverBehavior, zoneBehavior };

/**
 * The dispatch kinds — `driver`, `cell`, `zone`, `dispatch` — configured alike, for a worker to host. `config` may be a
 * partial override of DEFAULT_DISPATCH_SETTINGS; a setting that cannot work throws here, at startup.
 */
export function dispatchBehaviors(config: Partial<DispatchSettings> = {}): HostedBehavior[] {
  const settings = dispatchSettings(config);
  return [hosted(driverBehavior(settings)), hosted(cellBehavior(settings)), hosted(zoneBehavior(settings)), hosted(dispatchBehavior(settings))];
}
