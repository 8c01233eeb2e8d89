import type { NodeKind } from '../api/client';

export const KIND_LABEL: Record<NodeKind, string> = {
  postgres: 'PostgreSQL',
  airflow: 'Airflow',
  spark: 'Spark',
  dataset: 'Dataset',
  job: 'Job',
};

/** SVG path data per kind, also used by the SVG/PNG export of the explorer. */
export const KIND_PATHS: Record<NodeKind, string> = {
  // a database cylinder
  postgres:
    'M3 4c0-1.7 2.2-2.5 5-2.5s5 .8 5 2.5v8c0 1.7-2.2 2.5-5 2.5S3 13.7 3 12zm0 0c0 1.7 2.2 2.5 5 2.5s5-.8 5-2.5M3 8c0 1.7 2.2 2.5 5 2.5s5-.8 5-2.5',
  // a pinwheel
  airflow: 'M8 8 8 1.5c2.5 0 3.5 3 0 6.5zm0 0 6.5 0c0 2.5-3 3.5-6.5 0zm0 0 0 6.5c-2.5 0-3.5-3 0-6.5zm0 0-6.5 0c0-2.5 3-3.5 6.5 0z',
  // a spark
  spark: 'M8 1.5 9.6 6.4 14.5 8 9.6 9.6 8 14.5 6.4 9.6 1.5 8 6.4 6.4z',
  // a table
  dataset: 'M2 3h12v10H2zm0 3.3h12M2 9.7h12M6 3v10',
  // a cog
  job: 'M8 5.2a2.8 2.8 0 1 0 0 5.6 2.8 2.8 0 0 0 0-5.6zM7 1h2l.4 2 1.6.7 1.7-1.1 1.4 1.4-1.1 1.7.7 1.6 2 .4v2l-2 .4-.7 1.6 1.1 1.7-1.4 1.4-1.7-1.1-1.6.7L9 15H7l-.4-2-1.6-.7-1.7 1.1-1.4-1.4 1.1-1.7L2.3 9 1 9V7l2-.4.7-1.6-1.1-1.7 1.4-1.4 1.7 1.1L7 3z',
};

export function KindIcon({ kind, size = 16 }: { kind: NodeKind; size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      className={`kind-icon kind-${kind}`}
      role="img"
      aria-label={KIND_LABEL[kind]}
    >
      <title>{KIND_LABEL[kind]}</title>
      <path d={KIND_PATHS[kind]} fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
    </svg>
  );
}
