import type { NodeStatus } from '../api/client';

// Color is never the only signal: every status has an icon and a word.
export const STATUS_LABEL: Record<NodeStatus, string> = {
  ok: 'OK',
  error: 'Error',
  at_risk: 'At risk',
  late: 'Late',
  unknown: 'Unknown',
};

export function StatusIcon({ status, size = 14 }: { status: NodeStatus; size?: number }) {
  const common = { width: size, height: size, viewBox: '0 0 16 16', 'aria-hidden': true } as const;
  switch (status) {
    case 'ok':
      return (
        <svg {...common} className="status-icon">
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M4.5 8.2 7 10.6l4.6-5" stroke="#fff" strokeWidth="1.8" fill="none" />
        </svg>
      );
    case 'error':
      return (
        <svg {...common} className="status-icon">
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M5.2 5.2l5.6 5.6M10.8 5.2l-5.6 5.6" stroke="#fff" strokeWidth="1.8" />
        </svg>
      );
    case 'at_risk':
      return (
        <svg {...common} className="status-icon">
          <path d="M8 1.2 15.2 14H.8z" fill="currentColor" />
          <path d="M8 6v4" stroke="#fff" strokeWidth="1.8" />
          <circle cx="8" cy="12" r="1" fill="#fff" />
        </svg>
      );
    case 'late':
      // A clock: missed its SLA (not done in time), distinct from the error cross.
      return (
        <svg {...common} className="status-icon">
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M8 3.8V8l2.8 1.9" stroke="#fff" strokeWidth="1.7" fill="none" strokeLinecap="round" />
        </svg>
      );
    default:
      return (
        <svg {...common} className="status-icon">
          <circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" strokeWidth="1.6" />
          <path d="M6.2 6.3a1.9 1.9 0 1 1 2.5 1.8c-.5.2-.7.6-.7 1.1v.4" stroke="currentColor" strokeWidth="1.5" fill="none" />
          <circle cx="8" cy="11.6" r=".9" fill="currentColor" />
        </svg>
      );
  }
}

export function StatusBadge({ status, title }: { status: NodeStatus; title?: string | null }) {
  return (
    <span className={`status-badge status-${status}`} title={title ?? undefined}>
      <StatusIcon status={status} />
      <span>{STATUS_LABEL[status]}</span>
    </span>
  );
}
