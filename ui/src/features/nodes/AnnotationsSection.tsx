import { useState } from 'react';
import type { NodeRead } from '../../api/client';
import { useAddAnnotation, useDeleteAnnotation } from '../../api/queries';
import { Confirm } from '../../components/Confirm';
import { Empty, When } from '../../components/misc';
import { ProblemView } from '../../components/ProblemView';

export function AnnotationsSection({ node, admin }: { node: NodeRead; admin: boolean }) {
  const [text, setText] = useState('');
  const add = useAddAnnotation(node.id);
  const remove = useDeleteAnnotation(node.id);
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="annotations">
      <h2 id="annotations">Annotations</h2>
      {node.annotations.length === 0 && <Empty>No annotation.</Empty>}
      <ul className="annotations">
        {node.annotations.map((a) => (
          <li key={a.id}>
            <p>{a.text}</p>
            <p className="muted small">
              {a.author}, <When at={a.created_at} />
              {admin && (
                <button
                  type="button"
                  className="link-button danger"
                  onClick={() => setConfirming(confirming === a.id ? null : a.id)}
                  aria-label={`Delete the annotation “${a.text.slice(0, 40)}”`}
                >
                  Delete
                </button>
              )}
            </p>
            {admin && confirming === a.id && (
              <Confirm
                text="Delete this annotation? Nobody will see it again."
                action="Delete annotation"
                danger
                busy={remove.isPending}
                onConfirm={() => remove.mutate(a.id, { onSuccess: () => setConfirming(null) })}
                onCancel={() => setConfirming(null)}
              />
            )}
          </li>
        ))}
      </ul>
      {remove.error && <ProblemView error={remove.error} context="Could not delete" />}
      {admin && (
        <form
          className="annotation-form"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate(text, { onSuccess: () => setText('') });
          }}
        >
          <label htmlFor="annotation-text">Add an annotation</label>
          <textarea
            id="annotation-text"
            rows={2}
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="e.g. Finance reads this at 06:00 UTC; page #data-oncall if late"
          />
          {add.error && <ProblemView error={add.error} context="Could not add the annotation" />}
          <button type="submit" disabled={add.isPending || !text.trim()}>
            Add annotation
          </button>
        </form>
      )}
    </section>
  );
}
