/** A change confirmed in place: what it does, in words, and the button that does it. */
export function Confirm({
  text,
  action,
  danger = false,
  busy,
  onConfirm,
  onCancel,
}: {
  text: string;
  action: string;
  danger?: boolean;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div className="confirm" role="group" aria-label={action}>
      <p>{text}</p>
      <div className="page-actions">
        <button type="button" className={danger ? 'primary danger-button' : 'primary'} onClick={onConfirm} disabled={busy}>
          {action}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
