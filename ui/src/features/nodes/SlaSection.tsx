import { useState } from 'react';
import type { NodeRead } from '../../api/client';
import { useDeleteSla, useNodeSla, usePutSla } from '../../api/queries';
import { Confirm } from '../../components/Confirm';
import { Empty, Loading, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { DAY_LABEL, describeSla, initialSlaValues, slaBody, UNITS, WEEKDAYS, type SlaRead, type Unit } from './slaForm';

/** The node's SLA: what it promises, whether it is met now, and (admins) the form to set it. */
export function SlaSection({ node, admin }: { node: NodeRead; admin: boolean }) {
  const sla = useNodeSla(node.id);
  const remove = useDeleteSla(node.id);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="card" aria-labelledby="sla">
      <h2 id="sla">SLA</h2>
      {sla.isPending && <Loading what="the SLA" />}
      {sla.error && <ProblemView error={sla.error} />}
      {sla.data === null && !editing && <Empty>No SLA: nothing says how fresh this must be, or by when.</Empty>}
      {sla.data && !editing && <SlaView sla={sla.data} />}
      {editing && <SlaForm nodeId={node.id} sla={sla.data ?? null} onDone={() => setEditing(false)} />}
      {remove.error && <ProblemView error={remove.error} context="Could not remove the SLA" />}
      {admin && !editing && sla.data !== undefined && (
        <div className="form-actions">
          <button type="button" onClick={() => setEditing(true)}>
            {sla.data ? 'Edit SLA' : 'Set an SLA'}
          </button>
          {sla.data && (
            <button type="button" className="danger" onClick={() => setConfirming(!confirming)}>
              Remove SLA
            </button>
          )}
        </div>
      )}
      {admin && sla.data && confirming && (
        <Confirm
          text="Remove this SLA? The node is no longer judged late, and no alert says it missed one."
          action="Remove the SLA"
          danger
          busy={remove.isPending}
          onConfirm={() => remove.mutate(undefined, { onSuccess: () => setConfirming(false) })}
          onCancel={() => setConfirming(false)}
        />
      )}
    </section>
  );
}

function SlaView({ sla }: { sla: SlaRead }) {
  return (
    <dl className="facts">
      <dt>Promise</dt>
      <dd>{describeSla(sla)}</dd>
      <dt>Now</dt>
      <dd>
        {sla.state === 'late' ? (
          <>
            <StatusBadge status="late" /> {sla.reason}
            {sla.late_since && (
              <span className="muted">
                {' '}
                since <When at={sla.late_since} />
              </span>
            )}
          </>
        ) : (
          <span className="status-ok">met</span>
        )}
      </dd>
      <dt>Last success</dt>
      <dd>{sla.last_success_at ? <When at={sla.last_success_at} /> : <span className="muted">none recorded</span>}</dd>
      {sla.next_deadline_at && (
        <>
          <dt>Next deadline</dt>
          <dd>
            <When at={sla.next_deadline_at} />
          </dd>
        </>
      )}
      <dt>Set by</dt>
      <dd>
        {sla.updated_by}, <When at={sla.updated_at} />
      </dd>
    </dl>
  );
}

function SlaForm({ nodeId, sla, onDone }: { nodeId: string; sla: SlaRead | null; onDone: () => void }) {
  const [values, setValues] = useState(() => initialSlaValues(sla));
  const put = usePutSla(nodeId);
  return (
    <form
      className="connection-form"
      aria-label="Edit SLA"
      onSubmit={(e) => {
        e.preventDefault();
        put.mutate(slaBody(values), { onSuccess: onDone });
      }}
    >
      <label className="inline">
        <input type="checkbox" checked={values.freshness} onChange={(e) => setValues({ ...values, freshness: e.target.checked })} />
        Freshness: a successful run or update at most this long ago
      </label>
      {values.freshness && (
        <div className="field">
          <label htmlFor="sla-max-age">Maximum age</label>
          <span>
            <input id="sla-max-age" type="text" inputMode="decimal" size={6} value={values.maxAge} onChange={(e) => setValues({ ...values, maxAge: e.target.value })} />{' '}
            <select aria-label="Unit" value={values.unit} onChange={(e) => setValues({ ...values, unit: e.target.value as Unit })}>
              {Object.keys(UNITS).map((u) => (
                <option key={u} value={u}>
                  {u}
                </option>
              ))}
            </select>
          </span>
        </div>
      )}
      <label className="inline">
        <input type="checkbox" checked={values.deadline} onChange={(e) => setValues({ ...values, deadline: e.target.checked })} />
        Deadline: done by a time of day
      </label>
      {values.deadline && (
        <>
          <div className="field">
            <label htmlFor="sla-time">Done by (HH:MM)</label>
            <input id="sla-time" type="text" placeholder="06:00" value={values.time} onChange={(e) => setValues({ ...values, time: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor="sla-zone">Time zone</label>
            <input id="sla-zone" type="text" list="sla-zones" value={values.zone} onChange={(e) => setValues({ ...values, zone: e.target.value })} />
            <datalist id="sla-zones">
              {zones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </div>
          <fieldset className="field">
            <legend>On</legend>
            {WEEKDAYS.map((d) => (
              <label key={d} className="inline">
                <input
                  type="checkbox"
                  checked={values.days.includes(d)}
                  onChange={(e) => setValues({ ...values, days: e.target.checked ? [...values.days, d] : values.days.filter((x) => x !== d) })}
                />
                {DAY_LABEL[d]}
              </label>
            ))}
          </fieldset>
        </>
      )}
      {put.error && <ProblemView error={put.error} context="Could not save the SLA" />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={put.isPending}>
          {put.isPending ? 'Saving…' : 'Save SLA'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The browser's list of IANA zones, for suggestions (the server checks the name). */
function zones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
}
