import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../lib/eventStream';
import { staleKeys } from './useEventStream';

const of = (kind: string, node_id: string | null = 'n1'): StreamEvent => ({
  type: 'event',
  id: '1',
  kind,
  node_id,
  created_at: '2026-12-07T00:00:00Z',
  payload: {},
});

describe('staleKeys', () => {
  it('a status change refreshes the node, its checks, lists, lineage and dashboards', () => {
    expect(staleKeys(of('node.status'))).toEqual(
      expect.arrayContaining([['node', 'n1'], ['checks', 'n1'], ['nodes'], ['lineage'], ['dashboards']]),
    );
  });

  it('an SLA turning late or met refreshes the node, its SLA, history and the lists', () => {
    expect(staleKeys(of('sla.late'))).toEqual(
      expect.arrayContaining([['node', 'n1'], ['sla', 'n1'], ['checks', 'n1'], ['nodes'], ['health-summary']]),
    );
  });

  it('a collection refreshes the node, its collection history, what it found and the lists', () => {
    expect(staleKeys(of('collection.finished'))).toEqual(
      expect.arrayContaining([
        ['node', 'n1'],
        ['checks', 'n1'],
        ['collections', 'n1'],
        ['collected'],
        ['nodes'],
        ['lineage'],
      ]),
    );
  });

  it('a run state refreshes the runs and the datasets\' quality', () => {
    expect(staleKeys(of('run.state'))).toEqual(expect.arrayContaining([['runs'], ['quality']]));
  });

  it('an import, or a kind this UI does not know, refreshes everything', () => {
    expect(staleKeys(of('graph.imported', null))).toEqual([[]]);
    expect(staleKeys(of('something.new'))).toEqual([[]]);
  });
});
