// Shaping an impact report for the incident view: pure, tested without a browser.
import type { ImpactReport, LineageNode, NodeKind } from '../api/client';

export interface KindGroup {
  kind: NodeKind;
  nodes: LineageNode[];
}

export interface DistanceGroup {
  distance: number;
  count: number;
  kinds: KindGroup[];
}

const KIND_ORDER: NodeKind[] = ['dataset', 'job', 'postgres', 'airflow', 'spark'];
const STATUS_ORDER = { error: 0, late: 1, at_risk: 2, unknown: 3, ok: 4 } as const;

function byStatusThenName(a: LineageNode, b: LineageNode): number {
  return STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || a.name.localeCompare(b.name);
}

/** Affected nodes by hops from the root, then by kind; red first, then by name. */
export function groupAffected(affected: LineageNode[]): DistanceGroup[] {
  const byDistance = new Map<number, Map<NodeKind, LineageNode[]>>();
  for (const node of affected) {
    let kinds = byDistance.get(node.distance);
    if (!kinds) byDistance.set(node.distance, (kinds = new Map()));
    const list = kinds.get(node.kind);
    if (list) list.push(node);
    else kinds.set(node.kind, [node]);
  }
  return [...byDistance.entries()]
    .sort(([a], [b]) => a - b)
    .map(([distance, kinds]) => {
      const groups = [...kinds.entries()]
        .sort(([a], [b]) => KIND_ORDER.indexOf(a) - KIND_ORDER.indexOf(b))
        .map(([kind, nodes]) => ({ kind, nodes: nodes.sort(byStatusThenName) }));
      return { distance, count: groups.reduce((n, g) => n + g.nodes.length, 0), kinds: groups };
    });
}

/** The owners to notify, as one line to paste into a chat or a page. */
export function ownersText(report: Pick<ImpactReport, 'owners'>): string {
  return report.owners
    .map((o) => o.owner)
    .filter((o): o is string => Boolean(o))
    .join(', ');
}

/** "15 nodes affected: 9 datasets, 6 jobs; up to 3 hops". */
export function summaryLine(report: ImpactReport): string {
  const kinds = report.by_kind
    .map((k) => `${k.count.toLocaleString('en')} ${k.kind === 'dataset' ? 'dataset' : k.kind}${k.count === 1 ? '' : 's'}`)
    .join(', ');
  const hops = report.by_distance.length ? Math.max(...report.by_distance.map((d) => d.distance)) : 0;
  const what = report.direction === 'downstream' ? 'affected downstream' : 'upstream';
  const head = `${report.affected_count.toLocaleString('en')} node${report.affected_count === 1 ? '' : 's'} ${what}`;
  if (report.affected_count === 0) return head;
  return `${head}: ${kinds}; up to ${hops} hop${hops === 1 ? '' : 's'}`;
}
