import { describe, expect, it } from 'vitest';
import { escapeXml, toSvg, type ExportNode } from './exportSvg';

const node = (id: string, x: number, extra: Partial<ExportNode> = {}): ExportNode => ({
  id, x, y: 0, width: 220, height: 56, label: id, kind: 'dataset', status: 'ok', detail: 'team', isRoot: false, highlighted: false, ...extra,
});

describe('toSvg', () => {
  it('makes a well-formed SVG with every node, its status in words, and every edge', () => {
    const { svg, width, height } = toSvg('lineage of a', [node('a', 0, { status: 'error' }), node('b', 300)], [{ source: 'a', target: 'b', relation: 'flow', count: 1, highlighted: false }]);
    const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
    expect(doc.getElementsByTagName('parsererror')).toHaveLength(0);
    expect(svg).toContain('>Error<');
    expect(svg).toContain('>OK<');
    expect(doc.getElementsByTagName('path').length).toBeGreaterThanOrEqual(3); // edge + 2 icons
    expect(width).toBe(520 + 48);
    expect(height).toBeGreaterThan(56);
  });

  it('escapes names so a node cannot break the document', () => {
    const { svg } = toSvg('t', [node('<script>&"', 0)], []);
    expect(svg).toContain('&lt;script&gt;&amp;&quot;');
    expect(new DOMParser().parseFromString(svg, 'image/svg+xml').getElementsByTagName('script')).toHaveLength(0);
  });

  it('labels a merged edge with its count', () => {
    const { svg } = toSvg('t', [node('a', 0), node('b', 300)], [{ source: 'a', target: 'b', relation: 'flow', count: 4, highlighted: true }]);
    expect(svg).toMatch(/>4<\/text>/);
  });

  it('draws frames under the nodes and notes above them, inside the picture', () => {
    const { svg, width } = toSvg('dashboard', [node('a', 0)], [], {
      frames: [{ x: -100, y: -50, width: 500, height: 200, label: 'Revenue <core>' }],
      notes: [{ x: 600, y: 0, width: 200, height: 80, text: 'SLA 06:00 UTC\nowner: finance' }],
    });
    expect(new DOMParser().parseFromString(svg, 'image/svg+xml').getElementsByTagName('parsererror')).toHaveLength(0);
    expect(width).toBe(900 + 48);
    expect(svg.indexOf('Revenue &lt;core&gt;')).toBeLessThan(svg.indexOf('>a<'));
    expect(svg.indexOf('SLA 06:00 UTC')).toBeGreaterThan(svg.indexOf('>a<'));
    expect(svg).toContain('>owner: finance<');
  });

  it('escapeXml handles every special character', () => {
    expect(escapeXml(`<>&'"`)).toBe('&lt;&gt;&amp;&apos;&quot;');
  });
});
