import { AlertChannels } from './AlertChannels';
import { AlertDeliveries } from './AlertDeliveries';
import { AlertRules } from './AlertRules';

/** Alerts: channels (where to), rules (what, for which nodes), and the deliveries log. */
export function AlertsPage() {
  return (
    <>
      <AlertChannels />
      <AlertRules />
      <AlertDeliveries />
    </>
  );
}
