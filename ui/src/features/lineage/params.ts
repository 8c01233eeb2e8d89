// The explorer's state lives in its URL, so a view can be pasted into a chat as it is.
import type { GroupMode } from '../../lib/collapse';

export type Direction = 'both' | 'upstream' | 'downstream';

export const DEPTHS = ['1', '2', '3', '4', '5', '6', '8', '10', 'all'] as const;
export const DEFAULT_DEPTH = 2;
/** Above this many drawn nodes the explorer offers grouping instead of drawing them all. */
export const MAX_DRAWN = 1000;

export interface ExplorerParams {
  direction: Direction;
  depth: number | null;
  mode: GroupMode;
  toggled: string[];
  expanded: string[];
  from: string | null;
  to: string | null;
  drawAll: boolean;
}

const list = (value: string | null): string[] => (value ? value.split(',').filter(Boolean) : []);

export function readParams(params: URLSearchParams): ExplorerParams {
  const direction = params.get('direction');
  const depth = params.get('depth');
  const group = params.get('group');
  const parsedDepth = depth === 'all' ? null : Number.parseInt(depth ?? '', 10);
  return {
    direction: direction === 'upstream' || direction === 'downstream' ? direction : 'both',
    depth: depth === 'all' ? null : Number.isFinite(parsedDepth) && (parsedDepth as number) >= 1 ? (parsedDepth as number) : DEFAULT_DEPTH,
    mode: group === 'parent' || group === 'namespace' ? group : 'none',
    toggled: list(params.get('open')),
    expanded: list(params.get('expand')),
    from: params.get('from'),
    to: params.get('to'),
    drawAll: params.get('all') === '1',
  };
}

/** The URL parameters for `next`, leaving defaults out. */
export function writeParams(next: ExplorerParams): URLSearchParams {
  const p = new URLSearchParams();
  if (next.direction !== 'both') p.set('direction', next.direction);
  if (next.depth !== DEFAULT_DEPTH) p.set('depth', next.depth === null ? 'all' : String(next.depth));
  if (next.mode !== 'none') p.set('group', next.mode);
  if (next.toggled.length) p.set('open', next.toggled.join(','));
  if (next.expanded.length) p.set('expand', next.expanded.join(','));
  if (next.from) p.set('from', next.from);
  if (next.to) p.set('to', next.to);
  if (next.drawAll) p.set('all', '1');
  return p;
}
