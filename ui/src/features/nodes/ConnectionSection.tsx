import { useState } from 'react';
import type { NodeRead } from '../../api/client';
import { useUpdateNode } from '../../api/queries';
import { Empty } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';
import { connectionBody, FIELDS, initialValues, secretsSet, type SystemKind } from './connectionForm';

export function ConnectionSection({ node, admin }: { node: NodeRead; admin: boolean }) {
  const [editing, setEditing] = useState(false);
  const kind = node.kind as SystemKind;
  const c = node.connection;
  const set = secretsSet(c);
  const values = initialValues(kind, c);

  if (editing) return <ConnectionForm node={node} kind={kind} onDone={() => setEditing(false)} />;
  return (
    <div>
      {!c ? (
        <Empty>No connection is configured.</Empty>
      ) : (
        <dl className="facts">
          {FIELDS[kind]
            .filter((f) => !f.when || f.when(values))
            .map((f) => (
              <div key={f.name} className="fact">
                <dt>{f.label}</dt>
                <dd>
                  {f.type === 'secret' ? (
                    set[f.name] ? (
                      <span className="secret-set">set</span>
                    ) : (
                      <span className="muted">not set</span>
                    )
                  ) : (
                    values[f.name] || <span className="muted">—</span>
                  )}
                </dd>
              </div>
            ))}
        </dl>
      )}
      {admin && (
        <button type="button" onClick={() => setEditing(true)}>
          {c ? 'Edit connection' : 'Configure connection'}
        </button>
      )}
    </div>
  );
}

function ConnectionForm({ node, kind, onDone }: { node: NodeRead; kind: SystemKind; onDone: () => void }) {
  const [values, setValues] = useState(() => initialValues(kind, node.connection));
  const [cleared, setCleared] = useState<Set<string>>(new Set());
  const update = useUpdateNode(node.id);
  const stored = secretsSet(node.connection);

  const save = () => {
    update.mutate({ connection: connectionBody(kind, values, cleared) }, { onSuccess: onDone });
  };

  return (
    <form
      className="connection-form"
      aria-label="Edit connection"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      {FIELDS[kind]
        .filter((f) => !f.when || f.when(values))
        .map((f) => {
          const id = `conn-${f.name}`;
          return (
            <div className="field" key={f.name}>
              <label htmlFor={id}>{f.label}</label>
              {f.type === 'select' ? (
                <select id={id} value={values[f.name] ?? ''} onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}>
                  {f.options?.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              ) : f.type === 'secret' ? (
                <>
                  <input
                    id={id}
                    type="password"
                    autoComplete="new-password"
                    value={values[f.name] ?? ''}
                    disabled={cleared.has(f.name)}
                    placeholder={stored[f.name] ? 'set — leave empty to keep it' : 'not set'}
                    onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                  />
                  {stored[f.name] && (
                    <label className="inline">
                      <input
                        type="checkbox"
                        checked={cleared.has(f.name)}
                        onChange={(e) => {
                          const next = new Set(cleared);
                          if (e.target.checked) next.add(f.name);
                          else next.delete(f.name);
                          setCleared(next);
                        }}
                      />
                      Remove the stored {f.label.toLowerCase()}
                    </label>
                  )}
                </>
              ) : (
                <input
                  id={id}
                  type={f.type === 'number' ? 'number' : f.type === 'url' ? 'url' : 'text'}
                  required={f.required}
                  value={values[f.name] ?? ''}
                  onChange={(e) => setValues({ ...values, [f.name]: e.target.value })}
                />
              )}
            </div>
          );
        })}
      {update.error && <ProblemView error={update.error} context="Could not save the connection" />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          {update.isPending ? 'Saving…' : 'Save connection'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
