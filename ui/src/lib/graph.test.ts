import { describe, expect, it } from 'vitest';
import { answer, container, lnode } from '../test/fixtures';
import { buildModel, childrenOf, sides } from './graph';

describe('buildModel', () => {
  it('merges answers: later facts win, edges are not doubled', () => {
    const first = answer([lnode('a'), lnode('b', { status: 'ok' })], [['a', 'b']]);
    const expansion = answer([lnode('b', { status: 'error' }), lnode('c')], [['a', 'b'], ['b', 'c']]);
    const model = buildModel('a', [first, expansion]);
    expect([...model.nodes.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(model.nodes.get('b')?.status).toBe('error');
    expect(model.edges.size).toBe(2);
  });

  it('keeps containers apart from flow nodes, and a flow node wins over its container entry', () => {
    const a = answer([lnode('t1', { parent_id: 'db' })], [], [container('db')]);
    const b = answer([lnode('db', { kind: 'postgres' })], []);
    expect(buildModel('t1', [a]).nodes.get('db')?.containerOnly).toBe(true);
    expect(buildModel('t1', [a, b]).nodes.get('db')?.containerOnly).toBe(false);
  });

  it('drops an edge whose end no answer described', () => {
    const model = buildModel('a', [answer([lnode('a')], [['a', 'ghost']])]);
    expect(model.edges.size).toBe(0);
  });

  it('ignores answers still loading', () => {
    expect(buildModel('a', [undefined, answer([lnode('a')], [])]).nodes.size).toBe(1);
  });
});

describe('sides', () => {
  it('tells upstream from downstream, and both for a cycle through the root', () => {
    const model = buildModel('r', [answer([lnode('r'), lnode('u'), lnode('d'), lnode('x')], [['u', 'r'], ['r', 'd'], ['r', 'x'], ['x', 'r']])]);
    const s = sides(model);
    expect(s.get('r')).toBe('root');
    expect(s.get('u')).toBe('up');
    expect(s.get('d')).toBe('down');
    expect(s.get('x')).toBe('both');
  });
});

describe('childrenOf', () => {
  it('lists the children present of each container present', () => {
    const model = buildModel('t1', [answer([lnode('t1', { parent_id: 'db' }), lnode('t2', { parent_id: 'db' }), lnode('t3', { parent_id: 'elsewhere' })], [], [container('db')])]);
    expect(childrenOf(model).get('db')?.sort()).toEqual(['t1', 't2']);
    expect(childrenOf(model).has('elsewhere')).toBe(false);
  });
});
