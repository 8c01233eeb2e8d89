import { useEffect, useRef, type ReactNode } from 'react';

/** A modal dialog (the browser's own <dialog>: focus kept inside, Escape closes it). */
export function Dialog({ title, onClose, children }: { title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => dialog?.close?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dash-dialog"
      aria-labelledby="dash-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id="dash-dialog-title">{title}</h2>
      {children}
    </dialog>
  );
}

export function DeleteDialog({ name, onClose, onDelete }: { name: string; onClose: () => void; onDelete: () => void }) {
  return (
    <Dialog title={`Delete “${name}”?`} onClose={onClose}>
      <p>The dashboard and its layout are deleted for everyone. The catalog nodes on it stay.</p>
      <div className="dialog-actions">
        <button type="button" className="primary danger-fill" onClick={onDelete}>
          Delete dashboard
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

/** Asked before leaving the editor with unsaved changes. */
export function LeaveDialog({ stay, leave }: { stay: () => void; leave: () => void }) {
  return (
    <Dialog title="Leave without saving?" onClose={stay}>
      <p>Your changes to this dashboard are not saved. Leaving discards them.</p>
      <div className="dialog-actions">
        <button type="button" onClick={stay} className="primary">
          Stay and keep editing
        </button>
        <button type="button" className="danger" onClick={leave}>
          Leave and discard
        </button>
      </div>
    </Dialog>
  );
}
