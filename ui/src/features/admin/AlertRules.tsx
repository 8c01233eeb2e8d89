import { useState, type FormEvent } from 'react';
import { Empty, Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { useChannels, useCreateRule, useDeleteRule, useRules, type AlertEvent, type AlertRuleRead } from './alertsApi';
import { Confirm } from './Confirm';

const EVENTS: [AlertEvent, string][] = [
  ['error', 'error: a node fails'],
  ['late', 'late: an SLA is missed'],
  ['recovered', 'recovered: the root cause is ok again'],
];

function selector(rule: AlertRuleRead): string {
  const parts = [
    rule.tag && `tag ${rule.tag}`,
    rule.owner && `owner ${rule.owner}`,
    rule.namespace && `namespace ${rule.namespace}`,
    rule.dashboard_id && `dashboard ${rule.dashboard_id}`,
    rule.downstream_of && `downstream of ${rule.downstream_of}`,
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'every node';
}

/** Alert rules: which events, for which nodes (matched against a failure's root and all it affects), to which channels. */
export function AlertRules() {
  const rules = useRules();
  const channels = useChannels();
  const names = new Map((channels.data ?? []).map((c) => [c.id, c.name]));
  const items = rules.data ?? [];
  return (
    <section aria-labelledby="rules-title">
      <h2 id="rules-title">Rules</h2>
      <CreateRule />
      {rules.isPending && <Loading what="alert rules" />}
      {rules.error && <ProblemView error={rules.error} />}
      {rules.data && items.length === 0 && <Empty>No alert rule yet: nothing is sent.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="Alert rules">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Events</th>
              <th scope="col">Nodes</th>
              <th scope="col">Channels</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <RuleRow key={r.id} rule={r} channels={r.channel_ids.map((id) => names.get(id) ?? id).join(', ')} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RuleRow({ rule, channels }: { rule: AlertRuleRead; channels: string }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteRule();
  return (
    <tr>
      <th scope="row">{rule.name}</th>
      <td>{rule.events.join(', ')}</td>
      <td>{selector(rule)}</td>
      <td>{channels}</td>
      <td className="actions">
        <button type="button" className="danger" onClick={() => setConfirming(!confirming)}>
          Delete
        </button>
        {confirming && (
          <Confirm
            text={`Delete the rule ${rule.name}?`}
            action="Delete rule"
            danger
            busy={remove.isPending}
            onConfirm={() => remove.mutate(rule.id)}
            onCancel={() => setConfirming(false)}
          />
        )}
        {remove.error && <ProblemView error={remove.error} context="The rule was not deleted" />}
      </td>
    </tr>
  );
}

function CreateRule() {
  const create = useCreateRule();
  const channels = useChannels();
  const [name, setName] = useState('');
  const [events, setEvents] = useState<AlertEvent[]>(['error', 'recovered']);
  const [tag, setTag] = useState('');
  const [owner, setOwner] = useState('');
  const [namespace, setNamespace] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);

  const toggle = <T,>(list: T[], item: T) => (list.includes(item) ? list.filter((x) => x !== item) : [...list, item]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      {
        name,
        enabled: true,
        events,
        channel_ids: chosen,
        tag: tag || null,
        owner: owner || null,
        namespace: namespace || null,
      },
      { onSuccess: () => setName('') },
    );
  };

  return (
    <div className="card create-card">
      <h3>New alert rule</h3>
      <form className="admin-form" aria-label="New alert rule" onSubmit={submit}>
        <label className="field">
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="finance marts" />
        </label>
        <fieldset className="field">
          <legend>Events</legend>
          {EVENTS.map(([event, text]) => (
            <label key={event}>
              <input type="checkbox" checked={events.includes(event)} onChange={() => setEvents(toggle(events, event))} /> {text}
            </label>
          ))}
        </fieldset>
        <label className="field">
          Tag
          <input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="any" />
        </label>
        <label className="field">
          Owner
          <input value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="any" />
        </label>
        <label className="field">
          Namespace
          <input value={namespace} onChange={(e) => setNamespace(e.target.value)} placeholder="any" />
        </label>
        <fieldset className="field">
          <legend>Channels</legend>
          {(channels.data ?? []).length === 0 && <span className="muted small">Create a channel first.</span>}
          {(channels.data ?? []).map((c) => (
            <label key={c.id}>
              <input type="checkbox" checked={chosen.includes(c.id)} onChange={() => setChosen(toggle(chosen, c.id))} /> {c.name}
            </label>
          ))}
        </fieldset>
        <p className="muted small">
          A rule matches when a failing node, or anything it affects downstream, has every field set here: a failure upstream of a tagged mart alerts its
          team.
        </p>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            Create rule
          </button>
        </div>
        {create.error && <ProblemView error={create.error} context="The rule was not created" />}
      </form>
    </div>
  );
}
