import { useState } from 'react';
import type { NodeRead } from '../../api/client';
import { useUpdateNode } from '../../api/queries';
import { When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { fieldMessage } from '../../lib/problem';
import { choiceOf, CUSTOM, describeInterval, PRESETS, secondsOf, type IntervalChoice } from './interval';

const INTERVAL_FIELD = 'body.check_interval_seconds';

/** When the monitoring loop checks (and collects) this system node: admins edit, viewers read. */
export function ScheduleSection({ node, admin }: { node: NodeRead; admin: boolean }) {
  return (
    <section className="card" aria-labelledby="schedule">
      <h2 id="schedule">Schedule</h2>
      <dl className="facts">
        {!admin && (
          <>
            <dt>Checked</dt>
            <dd>{describeInterval(node.check_interval_seconds)}</dd>
            <dt>Collect on schedule</dt>
            <dd>{node.collect_on_schedule ? 'Yes: each scheduled check also collects' : 'No'}</dd>
          </>
        )}
        <dt>Next check</dt>
        <dd>{node.next_check_at ? <When at={node.next_check_at} /> : <span className="muted">not scheduled</span>}</dd>
      </dl>
      {admin && <ScheduleForm node={node} />}
    </section>
  );
}

function ScheduleForm({ node }: { node: NodeRead }) {
  const [choice, setChoice] = useState<IntervalChoice>(() => choiceOf(node.check_interval_seconds));
  const [collect, setCollect] = useState(node.collect_on_schedule);
  const [tried, setTried] = useState(false);
  const update = useUpdateNode(node.id);
  const value = secondsOf(choice);
  const dirty = !value.ok || value.seconds !== node.check_interval_seconds || collect !== node.collect_on_schedule;
  const localError = !value.ok && (tried || choice.custom !== '') ? value.error : undefined;
  const serverError = fieldMessage(update.error, INTERVAL_FIELD);
  const intervalError = localError ?? serverError;

  const save = () => {
    setTried(true);
    if (!value.ok) return;
    update.mutate({ check_interval_seconds: value.seconds, collect_on_schedule: collect });
  };

  return (
    <form
      className="schedule-form"
      aria-label="Edit schedule"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <div className="field">
        <label htmlFor="schedule-interval">Check interval</label>
        <select
          id="schedule-interval"
          value={choice.preset}
          aria-describedby={intervalError ? 'schedule-interval-error' : undefined}
          onChange={(e) => {
            update.reset();
            setChoice({ preset: e.target.value, custom: e.target.value === CUSTOM ? choice.custom : '' });
          }}
        >
          {PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
          <option value={CUSTOM}>Custom…</option>
        </select>
      </div>
      {choice.preset === CUSTOM && (
        <div className="field">
          <label htmlFor="schedule-seconds">Seconds between checks</label>
          <input
            id="schedule-seconds"
            inputMode="numeric"
            autoComplete="off"
            value={choice.custom}
            placeholder="at least 30"
            aria-invalid={intervalError ? true : undefined}
            aria-describedby={intervalError ? 'schedule-interval-error' : undefined}
            onChange={(e) => {
              update.reset();
              setChoice({ preset: CUSTOM, custom: e.target.value });
            }}
          />
        </div>
      )}
      {intervalError && (
        <p id="schedule-interval-error" className="field-error" role="alert">
          {intervalError}
        </p>
      )}
      <label className="inline">
        <input
          type="checkbox"
          checked={collect}
          onChange={(e) => {
            update.reset();
            setCollect(e.target.checked);
          }}
        />
        Collect on schedule (each scheduled check also runs the collector)
      </label>
      {update.error && !serverError && <ProblemView error={update.error} context="Could not save the schedule" />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={update.isPending || !dirty}>
          {update.isPending ? 'Saving…' : 'Save schedule'}
        </button>
        <span role="status" aria-live="polite" className="muted">
          {update.isSuccess && !dirty ? 'Saved.' : ''}
        </span>
      </div>
    </form>
  );
}
