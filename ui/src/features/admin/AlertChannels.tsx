import { useState, type FormEvent } from 'react';
import { Empty, Loading } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import {
  useChannels,
  useCreateChannel,
  useDeleteChannel,
  useTestChannel,
  useUpdateChannel,
  type AlertChannelRead,
  type ChannelConfig,
} from './alertsApi';
import { Confirm } from './Confirm';

type Kind = ChannelConfig['kind'];

const KINDS: [Kind, string][] = [
  ['webhook', 'Webhook: JSON, signed with HMAC-SHA256'],
  ['slack', 'Slack incoming webhook'],
  ['email', 'Email over SMTP'],
];

/** The form's fields, all text; secrets start empty (on edit: empty keeps the stored one). */
interface Draft {
  name: string;
  kind: Kind;
  url: string;
  secret: string;
  host: string;
  port: string;
  from: string;
  to: string;
  starttls: boolean;
  username: string;
}

const EMPTY: Draft = { name: '', kind: 'webhook', url: '', secret: '', host: '', port: '587', from: '', to: '', starttls: true, username: '' };

function draftOf(channel: AlertChannelRead): Draft {
  const c = channel.config;
  const base = { ...EMPTY, name: channel.name, kind: c.kind };
  if (c.kind === 'webhook') return { ...base, url: c.url };
  if (c.kind === 'email') {
    return { ...base, host: c.host, port: String(c.port), from: c.from_address, to: c.to.join(', '), starttls: c.starttls, username: c.username ?? '' };
  }
  return base;
}

/** The config to send: a secret left empty is not sent, so that an edit keeps it. */
function configOf(d: Draft): ChannelConfig {
  const secret = d.secret || undefined;
  if (d.kind === 'webhook') return { kind: 'webhook', url: d.url, secret };
  if (d.kind === 'slack') return { kind: 'slack', url: secret };
  return {
    kind: 'email',
    host: d.host,
    port: Number(d.port),
    from_address: d.from,
    to: d.to.split(/[,\s]+/).filter(Boolean),
    starttls: d.starttls,
    username: d.username || null,
    password: secret,
  };
}

function isSet(channel: AlertChannelRead): boolean {
  const c = channel.config;
  if (c.kind === 'webhook') return c.secret_set;
  if (c.kind === 'slack') return c.url_set;
  return c.password_set;
}

/** Alert channels: where alerts go. Secrets are write-only: the list says whether one is set. */
export function AlertChannels() {
  const channels = useChannels();
  const [editing, setEditing] = useState<AlertChannelRead | null>(null);
  const items = channels.data ?? [];
  return (
    <section aria-labelledby="channels-title">
      <h2 id="channels-title">Channels</h2>
      <ChannelForm key={editing?.id ?? 'new'} editing={editing} onDone={() => setEditing(null)} />
      {channels.isPending && <Loading what="alert channels" />}
      {channels.error && <ProblemView error={channels.error} />}
      {channels.data && items.length === 0 && <Empty>No alert channel yet.</Empty>}
      {items.length > 0 && (
        <table className="table admin-table" aria-label="Alert channels">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Destination</th>
              <th scope="col">Secret</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <ChannelRow key={c.id} channel={c} onEdit={() => setEditing(c)} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function destination(channel: AlertChannelRead): string {
  const c = channel.config;
  if (c.kind === 'webhook') return c.url;
  if (c.kind === 'email') return `${c.to.join(', ')} via ${c.host}:${c.port}`;
  return 'Slack';
}

function ChannelRow({ channel, onEdit }: { channel: AlertChannelRead; onEdit: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const test = useTestChannel();
  const update = useUpdateChannel();
  const remove = useDeleteChannel();
  return (
    <tr>
      <th scope="row">{channel.name}</th>
      <td>{channel.kind}</td>
      <td>
        <code>{destination(channel)}</code>
      </td>
      <td>{isSet(channel) ? 'set' : <span className="muted">not set</span>}</td>
      <td>{channel.enabled ? 'enabled' : <span className="state-disabled">disabled</span>}</td>
      <td className="actions">
        <button type="button" onClick={() => test.mutate(channel.id)} disabled={test.isPending}>
          Send test
        </button>
        <button type="button" onClick={onEdit}>
          Edit
        </button>
        <button type="button" onClick={() => update.mutate({ id: channel.id, body: { enabled: !channel.enabled } })}>
          {channel.enabled ? 'Disable' : 'Enable'}
        </button>
        <button type="button" className="danger" onClick={() => setConfirming(!confirming)}>
          Delete
        </button>
        {test.data && (
          <p role="status" className={test.data.ok ? 'small' : 'small state-disabled'}>
            {test.data.ok ? `Test delivered (HTTP ${test.data.status_code ?? 'ok'}, ${test.data.duration_ms} ms)` : `Test failed: ${test.data.error ?? 'unknown error'}`}
          </p>
        )}
        {confirming && (
          <Confirm
            text={`Delete ${channel.name}? Its deliveries go too, and rules stop sending to it.`}
            action="Delete channel"
            danger
            busy={remove.isPending}
            onConfirm={() => remove.mutate(channel.id)}
            onCancel={() => setConfirming(false)}
          />
        )}
        {test.error && <ProblemView error={test.error} context="The test was not sent" />}
        {update.error && <ProblemView error={update.error} context="The channel was not changed" />}
        {remove.error && <ProblemView error={remove.error} context="The channel was not deleted" />}
      </td>
    </tr>
  );
}

function ChannelForm({ editing, onDone }: { editing: AlertChannelRead | null; onDone: () => void }) {
  const create = useCreateChannel();
  const update = useUpdateChannel();
  const [d, setD] = useState<Draft>(editing ? draftOf(editing) : EMPTY);
  const set = (patch: Partial<Draft>) => setD({ ...d, ...patch });
  const mutation = editing ? update : create;
  const keep = editing && isSet(editing) && editing.kind === d.kind ? 'set: leave empty to keep it' : undefined;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const done = { onSuccess: () => (editing ? onDone() : setD(EMPTY)) };
    if (editing) update.mutate({ id: editing.id, body: { name: d.name, config: configOf(d) } }, done);
    else create.mutate({ name: d.name, enabled: true, config: configOf(d) }, done);
  };

  const label = editing ? `Edit channel ${editing.name}` : 'New alert channel';
  return (
    <div className="card create-card">
      <h3>{label}</h3>
      <form className="admin-form" aria-label={label} onSubmit={submit}>
        <label className="field">
          Name
          <input value={d.name} onChange={(e) => set({ name: e.target.value })} required maxLength={200} placeholder="oncall" />
        </label>
        <label className="field">
          Kind
          <select value={d.kind} onChange={(e) => set({ kind: e.target.value as Kind })}>
            {KINDS.map(([k, text]) => (
              <option key={k} value={k}>
                {text}
              </option>
            ))}
          </select>
        </label>
        {d.kind === 'webhook' && (
          <>
            <label className="field">
              URL
              <input type="url" value={d.url} onChange={(e) => set({ url: e.target.value })} required placeholder="https://hooks.internal/dlv" />
            </label>
            <label className="field">
              Signing secret
              <input type="password" autoComplete="off" value={d.secret} onChange={(e) => set({ secret: e.target.value })} placeholder={keep ?? 'recommended'} />
            </label>
          </>
        )}
        {d.kind === 'slack' && (
          <label className="field">
            Webhook URL
            <input
              type="password"
              autoComplete="off"
              value={d.secret}
              onChange={(e) => set({ secret: e.target.value })}
              required={!keep}
              placeholder={keep ?? 'https://hooks.slack.com/services/…'}
            />
          </label>
        )}
        {d.kind === 'email' && (
          <>
            <label className="field">
              SMTP host
              <input value={d.host} onChange={(e) => set({ host: e.target.value })} required placeholder="smtp.example.com" />
            </label>
            <label className="field">
              Port
              <input type="number" min={1} max={65535} value={d.port} onChange={(e) => set({ port: e.target.value })} required />
            </label>
            <label className="field">
              From
              <input value={d.from} onChange={(e) => set({ from: e.target.value })} required placeholder="dlv@example.com" />
            </label>
            <label className="field">
              To (comma-separated)
              <input value={d.to} onChange={(e) => set({ to: e.target.value })} required placeholder="oncall@example.com" />
            </label>
            <label className="field">
              <span>
                <input type="checkbox" checked={d.starttls} onChange={(e) => set({ starttls: e.target.checked })} /> STARTTLS
              </span>
            </label>
            <label className="field">
              Username
              <input value={d.username} onChange={(e) => set({ username: e.target.value })} autoComplete="off" />
            </label>
            <label className="field">
              Password
              <input type="password" autoComplete="off" value={d.secret} onChange={(e) => set({ secret: e.target.value })} placeholder={keep} />
            </label>
          </>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={mutation.isPending}>
            {editing ? 'Save channel' : 'Create channel'}
          </button>
          {editing && (
            <button type="button" onClick={onDone}>
              Cancel
            </button>
          )}
        </div>
        {mutation.error && <ProblemView error={mutation.error} context={editing ? 'The channel was not saved' : 'The channel was not created'} />}
      </form>
    </div>
  );
}
