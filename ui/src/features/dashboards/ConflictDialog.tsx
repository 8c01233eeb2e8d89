import { useState } from 'react';
import { ProblemView } from '../../components/ProblemView';
import { formatAbsolute, formatRelative } from '../../lib/format';
import { Dialog } from './Dialog';
import { createDashboard } from './queries';
import type { Schemas } from '../../api/client';

export interface Conflict {
  /** The version this editor started from. */
  base: number;
  /** The version stored now (someone else's). */
  current: number;
  /** Who saved last, and when (null if the audit trail could not say). */
  who: { actor: string; at: string } | null;
}

/**
 * Someone saved while you edited: say who and when, and let the editor choose. Until a choice
 * is made the changes stay on the canvas, so nothing is lost silently.
 */
export function ConflictDialog(props: {
  conflict: Conflict;
  name: string;
  onClose: () => void;
  onReload: () => void;
  onOverwrite: () => void;
  onCopy: (id: string) => void;
  copyBody: () => Omit<Schemas['DashboardCreate'], 'name'>;
}) {
  const { conflict, name } = props;
  const [copyName, setCopyName] = useState(`${name} (my version)`.slice(0, 200));
  const [problem, setProblem] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const saveCopy = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const copy = await createDashboard({ ...props.copyBody(), name: copyName });
      props.onCopy(copy.id);
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Someone else saved this dashboard" onClose={props.onClose}>
      <p className="conflict-who">
        {conflict.who ? (
          <>
            <strong>{conflict.who.actor}</strong> saved version {conflict.current}{' '}
            <time dateTime={conflict.who.at} title={formatAbsolute(conflict.who.at)}>
              {formatRelative(conflict.who.at)}
            </time>{' '}
            ({formatAbsolute(conflict.who.at)}),
          </>
        ) : (
          <>Version {conflict.current} was saved by someone else,</>
        )}{' '}
        after version {conflict.base} that you started from.
      </p>
      <p>Your changes are still here, not saved. What should happen to them?</p>
      <div className="conflict-choices">
        <button type="button" onClick={props.onReload}>
          Reload their version (discard mine)
        </button>
        <div className="conflict-copy">
          <label htmlFor="conflict-copy-name">Name of the copy</label>
          <input id="conflict-copy-name" value={copyName} maxLength={200} onChange={(e) => setCopyName(e.target.value)} />
          <button type="button" className="primary" onClick={() => void saveCopy()} disabled={busy || !copyName.trim()}>
            Save mine as a copy
          </button>
        </div>
        <button type="button" className="danger" onClick={props.onOverwrite}>
          Overwrite their version with mine
        </button>
        <button type="button" onClick={props.onClose}>
          Keep editing
        </button>
      </div>
      {problem !== null && <ProblemView error={problem} context="Could not save the copy" />}
    </Dialog>
  );
}
