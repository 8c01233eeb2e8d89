import { describe, expect, it } from 'vitest';
import { layered } from './layered';

const node = (id: string) => ({ id, width: 200, height: 50 });
const edge = (source: string, target: string) => ({ id: `${source}>${target}`, source, target });

function overlaps(p: Record<string, { x: number; y: number }>, ids: string[]): boolean {
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const a = p[ids[i]!]!;
      const b = p[ids[j]!]!;
      if (Math.abs(a.x - b.x) < 200 && Math.abs(a.y - b.y) < 50) return true;
    }
  return false;
}

describe('layered layout', () => {
  it('puts every flow edge left to right', () => {
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const edges = [edge('a', 'b'), edge('b', 'c'), edge('a', 'd'), edge('d', 'c'), edge('c', 'e')];
    const p = layered(ids.map(node), edges, 'a');
    for (const e of edges) expect(p[e.target]!.x).toBeGreaterThan(p[e.source]!.x);
  });

  it('places a source next to its consumer, not in the first column', () => {
    const p = layered(['a', 'b', 'c', 'late'].map(node), [edge('a', 'b'), edge('b', 'c'), edge('late', 'c')], 'a');
    expect(p.late!.x).toBe(p.b!.x);
  });

  it('survives cycles and self-loops', () => {
    const p = layered(['a', 'b', 'c'].map(node), [edge('a', 'b'), edge('b', 'c'), edge('c', 'a'), edge('b', 'b')], 'a');
    expect(Object.keys(p).sort()).toEqual(['a', 'b', 'c']);
    expect(overlaps(p, ['a', 'b', 'c'])).toBe(false);
  });

  it('never overlaps two nodes, even in a wide column', () => {
    const ids = ['root', ...Array.from({ length: 60 }, (_, i) => `t${i}`)];
    const edges = ids.slice(1).map((id) => edge('root', id));
    const p = layered(ids.map(node), edges, 'root');
    expect(overlaps(p, ids)).toBe(false);
  });

  it('places disconnected nodes and ignores edges to unknown nodes', () => {
    const p = layered(['a', 'lonely'].map(node), [edge('a', 'ghost')], 'a');
    expect(Object.keys(p).sort()).toEqual(['a', 'lonely']);
  });

  it('lays out 2,000 nodes', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `n${i}`);
    const edges = ids.slice(1).map((id, i) => edge(ids[Math.floor(i / 3)]!, id));
    const p = layered(ids.map(node), edges, 'n0');
    expect(Object.keys(p)).toHaveLength(2000);
    for (const e of edges) expect(p[e.target]!.x).toBeGreaterThan(p[e.source]!.x);
  });
});
