// The explorer's picture as a standalone SVG (real shapes and text, no foreignObject: it opens
// in any viewer and prints cleanly); the PNG is this SVG drawn on a canvas.
import type { NodeKind, NodeStatus } from '../api/client';
import { KIND_PATHS } from '../components/KindIcon';
import { STATUS_LABEL } from '../components/StatusBadge';

export interface ExportNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  kind: NodeKind | null;
  status: NodeStatus;
  detail: string;
  isRoot: boolean;
  highlighted: boolean;
}

export interface ExportEdge {
  source: string;
  target: string;
  relation: 'flow' | 'contains';
  count: number;
  highlighted: boolean;
}

/** A labelled frame drawn under the nodes (a dashboard's group). */
export interface ExportFrame {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
}

/** A sticky note drawn above the nodes (a dashboard's note). */
export interface ExportNote {
  x: number;
  y: number;
  width: number;
  height: number;
  text: string;
}

const NOTE_LINE = 15;

function noteLines(text: string, width: number, height: number): string[] {
  const perLine = Math.max(8, Math.floor((width - 16) / 6.6));
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let rest = paragraph;
    do {
      lines.push(rest.slice(0, perLine));
      rest = rest.slice(perLine);
    } while (rest.length > 0);
  }
  return lines.slice(0, Math.max(0, Math.floor((height - 8) / NOTE_LINE)));
}

export const STATUS_COLOR: Record<NodeStatus, string> = {
  ok: '#1a7f37',
  error: '#cf222e',
  at_risk: '#9a6700',
  late: '#bc4c00',
  unknown: '#6e7781',
};

const PAD = 24;
const TITLE = 28;

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function toSvg(
  title: string,
  nodes: ExportNode[],
  edges: ExportEdge[],
  decor: { frames?: ExportFrame[]; notes?: ExportNote[] } = {},
): { svg: string; width: number; height: number } {
  const frames = decor.frames ?? [];
  const notes = decor.notes ?? [];
  const boxes = [...nodes, ...frames, ...notes];
  if (boxes.length === 0) {
    const empty = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60"><text x="10" y="30">${escapeXml(title)}: empty</text></svg>`;
    return { svg: empty, width: 200, height: 60 };
  }
  const minX = Math.min(...boxes.map((n) => n.x));
  const minY = Math.min(...boxes.map((n) => n.y));
  const maxX = Math.max(...boxes.map((n) => n.x + n.width));
  const maxY = Math.max(...boxes.map((n) => n.y + n.height));
  const width = Math.ceil(maxX - minX + 2 * PAD);
  const height = Math.ceil(maxY - minY + 2 * PAD + TITLE);
  const ox = PAD - minX;
  const oy = PAD + TITLE - minY;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#8c959f"/></marker>',
    '<marker id="arrow-hl" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#0b5cad"/></marker></defs>',
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${PAD}" y="${PAD + 8}" font-size="15" font-weight="600" fill="#1f2328">${escapeXml(title)}</text>`,
  );
  for (const f of frames) {
    parts.push(
      `<rect x="${f.x + ox}" y="${f.y + oy}" width="${f.width}" height="${f.height}" rx="8" fill="#f3f6fa" stroke="#8c959f" stroke-dasharray="6 4"/>`,
      `<text x="${f.x + ox + 10}" y="${f.y + oy + 19}" font-size="13" font-weight="600" fill="#1f3a5f">${escapeXml(f.label)}</text>`,
    );
  }
  for (const e of edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t) continue;
    const sx = s.x + s.width + ox;
    const sy = s.y + s.height / 2 + oy;
    const tx = t.x + ox;
    const ty = t.y + t.height / 2 + oy;
    const dx = Math.max(40, Math.abs(tx - sx) / 2);
    const stroke = e.highlighted ? '#0b5cad' : '#8c959f';
    const dash = e.relation === 'contains' ? ' stroke-dasharray="5 4"' : '';
    parts.push(
      `<path d="M${sx} ${sy} C${sx + dx} ${sy} ${tx - dx} ${ty} ${tx} ${ty}" fill="none" stroke="${stroke}" stroke-width="${e.highlighted ? 3 : 1.4}"${dash} marker-end="url(#${e.highlighted ? 'arrow-hl' : 'arrow'})"/>`,
    );
    if (e.count > 1) {
      const mx = (sx + tx) / 2;
      const my = (sy + ty) / 2;
      parts.push(`<text x="${mx}" y="${my - 4}" font-size="11" text-anchor="middle" fill="#59636e">${e.count}</text>`);
    }
  }
  for (const n of nodes) {
    const x = n.x + ox;
    const y = n.y + oy;
    const color = STATUS_COLOR[n.status];
    parts.push(
      `<g>`,
      `<rect x="${x}" y="${y}" width="${n.width}" height="${n.height}" rx="6" fill="#ffffff" stroke="${n.highlighted || n.isRoot ? '#0b5cad' : color}" stroke-width="${n.isRoot || n.highlighted ? 3 : 1.4}"/>`,
      `<rect x="${x}" y="${y}" width="6" height="${n.height}" rx="3" fill="${color}"/>`,
    );
    if (n.kind) {
      parts.push(
        `<path transform="translate(${x + 14} ${y + 9})" d="${KIND_PATHS[n.kind]}" fill="none" stroke="#3d5a80" stroke-width="1.3" stroke-linejoin="round"/>`,
      );
    }
    parts.push(
      `<text x="${x + 36}" y="${y + 22}" font-size="13" font-weight="600" fill="#1f2328">${escapeXml(clip(n.label, Math.floor((n.width - 44) / 7.2)))}</text>`,
      `<text x="${x + 14}" y="${y + n.height - 12}" font-size="11" fill="${color}" font-weight="600">${escapeXml(STATUS_LABEL[n.status])}</text>`,
      `<text x="${x + 74}" y="${y + n.height - 12}" font-size="11" fill="#59636e">${escapeXml(clip(n.detail, Math.floor((n.width - 80) / 6.2)))}</text>`,
      `</g>`,
    );
  }
  for (const n of notes) {
    parts.push(`<rect x="${n.x + ox}" y="${n.y + oy}" width="${n.width}" height="${n.height}" rx="4" fill="#fff8c5" stroke="#d4a72c"/>`);
    noteLines(n.text, n.width, n.height).forEach((line, i) =>
      parts.push(`<text x="${n.x + ox + 8}" y="${n.y + oy + 18 + i * NOTE_LINE}" font-size="12" fill="#1f2328">${escapeXml(line)}</text>`),
    );
  }
  parts.push('</svg>');
  return { svg: parts.join('\n'), width, height };
}
