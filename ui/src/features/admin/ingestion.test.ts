import { describe, expect, it } from 'vitest';
import { deliveryDelay, lagText } from './ingestion';

const NOW = Date.parse('2026-12-07T12:00:00Z');

describe('ingestion lag', () => {
  it('is none when every event is mapped', () => {
    expect(lagText({ oldest_pending_received_at: null }, NOW)).toBe('none: all mapped');
  });

  it('is the wait of the oldest unmapped event', () => {
    expect(lagText({ oldest_pending_received_at: '2026-12-07T11:57:30Z' }, NOW)).toBe('2 min 30 s behind');
  });

  it('never goes negative when the clocks disagree', () => {
    expect(lagText({ oldest_pending_received_at: '2026-12-07T12:00:05Z' }, NOW)).toBe('0 s behind');
    expect(deliveryDelay({ last_received_at: '2026-12-07T12:00:00Z', last_event_time: '2026-12-07T12:00:09Z' })).toBe(0);
  });

  it('delivery delay is receipt minus event time', () => {
    expect(deliveryDelay({ last_received_at: '2026-12-07T12:00:00Z', last_event_time: '2026-12-07T11:59:48Z' })).toBe(12);
  });
});
