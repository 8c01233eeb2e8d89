import { describe, expect, it } from 'vitest';
import { readParams, writeParams } from './params';

describe('explorer URL parameters', () => {
  it('reads defaults from an empty URL', () => {
    expect(readParams(new URLSearchParams())).toMatchObject({ direction: 'both', depth: 2, mode: 'none', expanded: [], drawAll: false });
  });

  it('round-trips a full state', () => {
    const state = readParams(new URLSearchParams('direction=upstream&depth=all&group=namespace&open=ns:a,ns:b&expand=x,y&from=a&to=b&all=1'));
    expect(state).toMatchObject({ direction: 'upstream', depth: null, mode: 'namespace', toggled: ['ns:a', 'ns:b'], expanded: ['x', 'y'], from: 'a', to: 'b', drawAll: true });
    expect(readParams(writeParams(state))).toEqual(state);
  });

  it('falls back to defaults for values it does not know', () => {
    expect(readParams(new URLSearchParams('direction=sideways&depth=-3&group=zodiac'))).toMatchObject({ direction: 'both', depth: 2, mode: 'none' });
  });
});
