import { useState } from 'react';
import { Empty, Loading, When } from '../../components/misc';
import { Pager, useCursorPages } from '../../components/Pager';
import { ProblemView } from '../../components/ProblemView';
import { useChannels, useDeliveries, type DeliveryRead, type DeliveryStatus } from './alertsApi';

const STATUSES: DeliveryStatus[] = ['pending', 'sending', 'delivered', 'failed'];

function lastAttempt(d: DeliveryRead): string {
  const a = d.attempt_log[d.attempt_log.length - 1];
  if (!a) return 'not tried yet';
  const what = a.ok ? `ok${a.status_code ? ` (HTTP ${a.status_code})` : ''}` : (a.error ?? `HTTP ${a.status_code ?? '?'}`);
  return `#${a.number}: ${what}, ${a.duration_ms} ms`;
}

/** The deliveries log: every alert and recovery message, with its attempts. */
export function AlertDeliveries() {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const pages = useCursorPages();
  const deliveries = useDeliveries(status, pages.cursor);
  const channels = useChannels();
  const names = new Map((channels.data ?? []).map((c) => [c.id, c.name]));
  const items = deliveries.data?.items ?? [];
  return (
    <section aria-labelledby="deliveries-title">
      <h2 id="deliveries-title">Deliveries</h2>
      <label className="field">
        Status
        <select
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as DeliveryStatus | '');
            pages.pager(undefined).onFirst();
          }}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {deliveries.isPending && <Loading what="deliveries" />}
      {deliveries.error && <ProblemView error={deliveries.error} />}
      {deliveries.data && items.length === 0 && <Empty>No delivery{status ? ` ${status}` : ''}.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="Deliveries" aria-busy={deliveries.isFetching}>
          <thead>
            <tr>
              <th scope="col">Queued</th>
              <th scope="col">Message</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last attempt</th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td>
                  <When at={d.created_at} />
                </td>
                <td>{d.kind}</td>
                <td>{names.get(d.channel_id) ?? d.channel_id}</td>
                <td>{d.status === 'failed' ? <span className="state-disabled">failed</span> : d.status}</td>
                <td>{d.attempts}</td>
                <td>{lastAttempt(d)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager {...pages.pager(deliveries.data?.next_cursor)} />
    </section>
  );
}
