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
