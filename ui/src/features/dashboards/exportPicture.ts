// The dashboard as a standalone SVG (and PNG): frames, cards with their live status, edges, notes.
import type { Edge } from '@xyflow/react';
import { saveBlob } from '../../api/client';
import { svgToPng } from '../../lib/exportImage';
import { toSvg, type ExportFrame, type ExportNode, type ExportNote } from '../../lib/exportSvg';
import { boxOf, type DashNode } from './model';

export function dashboardSvg(title: string, nodes: readonly DashNode[], edges: readonly Edge[]): { svg: string; width: number; height: number } {
  const cards: ExportNode[] = [];
  const frames: ExportFrame[] = [];
  const notes: ExportNote[] = [];
  for (const n of nodes) {
    const box = boxOf(n);
    if (n.type === 'frame') frames.push({ ...box, label: n.data.item.label });
    else if (n.type === 'note') notes.push({ ...box, text: n.data.item.text });
    else {
      const f = n.data.facts;
      const missing = !f || f.missing;
      cards.push({
        id: n.id,
        ...box,
        label: missing ? 'Missing node' : (f.name ?? n.id),
        kind: missing ? null : f.kind,
        status: f?.status ?? 'unknown',
        detail: missing ? 'deleted from the catalog' : (f.owner ?? 'no owner'),
        isRoot: false,
        highlighted: false,
      });
    }
  }
  const lines = edges.map((e) => ({ source: e.source, target: e.target, relation: 'flow' as const, count: 1, highlighted: false }));
  return toSvg(title, cards, lines, { frames, notes });
}

export async function exportDashboard(format: 'svg' | 'png', name: string, nodes: readonly DashNode[], edges: readonly Edge[]): Promise<void> {
  const { svg, width, height } = dashboardSvg(`Dashboard: ${name}`, nodes, edges);
  const base = `dashboard-${name.replace(/[^\w.-]+/g, '_')}`;
  if (format === 'svg') saveBlob(new Blob([svg], { type: 'image/svg+xml' }), `${base}.svg`);
  else saveBlob(await svgToPng(svg, width, height), `${base}.png`);
}
