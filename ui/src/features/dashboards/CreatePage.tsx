import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import type { Schemas } from '../../api/client';
import { useIsAdmin, useNode, useNodes } from '../../api/queries';
import { KindIcon } from '../../components/KindIcon';
import { ProblemView } from '../../components/ProblemView';
import { StatusBadge } from '../../components/StatusBadge';
import { useDebounced } from '../../lib/useDebounced';
import { createDashboard, createFromLineage, dashboardKeys, tagsOf } from './queries';

/** /dashboards/new: an empty dashboard, or one of a node's lineage (?root=<node id>). */
export function CreatePage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const isAdmin = useIsAdmin();
  const [start, setStart] = useState<'empty' | 'lineage'>(params.get('root') ? 'lineage' : 'empty');
  const [root, setRoot] = useState<string | null>(params.get('root'));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState('');
  const [tags, setTags] = useState('');
  const [direction, setDirection] = useState<Schemas['LineageDirection']>('both');
  const [depth, setDepth] = useState('3');
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setBusy(true);
    const common = { name, description: description.trim() || null, owner: owner.trim() || null, tags: tagsOf(tags) };
    try {
      const created =
        start === 'lineage' && root
          ? await createFromLineage({ ...common, root_id: root, direction, depth: depth === 'all' ? null : Number(depth), limit: 500 })
          : await createDashboard(common);
      void client.invalidateQueries({ queryKey: dashboardKeys.all });
      // The server fits the first view to a typical screen: this one fits it to its own.
      navigate(`/dashboards/${created.id}/edit`, { state: { fit: true } });
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  if (!isAdmin) return <p className="notice">Only admins can create dashboards.</p>;
  return (
    <div className="dash-create">
      <p className="eyebrow">
        <Link to="/dashboards">Dashboards</Link> › new
      </p>
      <h1>New dashboard</h1>
      <form onSubmit={(e) => void submit(e)} className="card dash-create-form" aria-label="New dashboard">
        <fieldset>
          <legend>Start from</legend>
          <label className="inline">
            <input type="radio" name="start" checked={start === 'empty'} onChange={() => setStart('empty')} /> An empty canvas
          </label>
          <label className="inline">
            <input type="radio" name="start" checked={start === 'lineage'} onChange={() => setStart('lineage')} /> A node’s lineage, laid out by distance
          </label>
        </fieldset>
        {start === 'lineage' && (
          <fieldset>
            <legend>Lineage</legend>
            <RootPicker root={root} setRoot={setRoot} />
            <div className="dash-create-row">
              <div className="field">
                <label htmlFor="new-direction">Direction</label>
                <select id="new-direction" value={direction} onChange={(e) => setDirection(e.target.value as Schemas['LineageDirection'])}>
                  <option value="both">Upstream and downstream</option>
                  <option value="upstream">Upstream</option>
                  <option value="downstream">Downstream</option>
                </select>
              </div>
              <div className="field">
                <label htmlFor="new-depth">Depth</label>
                <select id="new-depth" value={depth} onChange={(e) => setDepth(e.target.value)}>
                  {['1', '2', '3', '5', '10', 'all'].map((d) => (
                    <option key={d} value={d}>
                      {d === 'all' ? 'all' : `${d} hop${d === '1' ? '' : 's'}`}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          </fieldset>
        )}
        <div className="field">
          <label htmlFor="new-name">Name</label>
          <input id="new-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="new-description">Description</label>
          <textarea id="new-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </div>
        <div className="dash-create-row">
          <div className="field">
            <label htmlFor="new-owner">Owner</label>
            <input id="new-owner" maxLength={200} value={owner} onChange={(e) => setOwner(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="new-tags">Tags (comma-separated)</label>
            <input id="new-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </div>
        </div>
        {problem !== null && <ProblemView error={problem} context="Could not create the dashboard" />}
        <div>
          <button type="submit" className="primary" disabled={busy || !name.trim() || (start === 'lineage' && !root)}>
            Create dashboard
          </button>
        </div>
      </form>
    </div>
  );
}

function RootPicker({ root, setRoot }: { root: string | null; setRoot: (id: string | null) => void }) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 300);
  const results = useNodes({ q, limit: 8 }, q.length > 0 && !root);
  if (root) {
    return (
      <p className="dash-root">
        Root node: <RootName id={root} />{' '}
        <button type="button" className="link-button" onClick={() => setRoot(null)}>
          Change
        </button>
      </p>
    );
  }
  return (
    <div className="field">
      <label htmlFor="new-root">Root node</label>
      <input id="new-root" type="search" placeholder="Find the node the flow is about" value={text} onChange={(e) => setText(e.target.value)} />
      {q && results.data && (
        <ul className="plain-list add-results" aria-label="Matching nodes">
          {results.data.items.length === 0 && <li className="muted small">No node matches.</li>}
          {results.data.items.map((n) => (
            <li key={n.id}>
              <button type="button" className="link-button" onClick={() => setRoot(n.id)} aria-label={`Use ${n.name}`}>
                <KindIcon kind={n.kind} /> {n.name}
              </button>{' '}
              <StatusBadge status={n.status} /> <span className="muted small">{n.namespace}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function RootName({ id }: { id: string }) {
  const node = useNode(id);
  if (!node.data) return <span>{id}</span>;
  return (
    <strong>
      <KindIcon kind={node.data.kind} /> {node.data.name}
    </strong>
  );
}
