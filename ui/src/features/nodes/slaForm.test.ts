import { describe, expect, it } from 'vitest';
import { describeSla, formatDays, initialSlaValues, slaBody, splitAge, type SlaRead } from './slaForm';

const STORED: SlaRead = {
  node_id: 'n',
  freshness: { max_age_seconds: 7200 },
  deadline: { time: '06:00', zone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'] },
  state: 'met',
  late_since: null,
  reason: null,
  last_success_at: null,
  next_deadline_at: null,
  updated_at: '2026-12-07T05:00:00Z',
  updated_by: 'root',
};

describe('the SLA form', () => {
  it('starts a new SLA as a 2-hour freshness in the browser zone, deadline off', () => {
    const values = initialSlaValues(null, 'Europe/Paris');
    expect(values).toMatchObject({ freshness: true, maxAge: '2', unit: 'hours', deadline: false, zone: 'Europe/Paris' });
    expect(slaBody(values)).toEqual({ freshness: { max_age_seconds: 7200 }, deadline: null });
  });

  it('edits a stored SLA back into the same body', () => {
    expect(slaBody(initialSlaValues(STORED))).toEqual({ freshness: STORED.freshness, deadline: STORED.deadline });
  });

  it('shows an age in the largest unit that fits', () => {
    expect(splitAge(7200)).toEqual({ amount: '2', unit: 'hours' });
    expect(splitAge(172800)).toEqual({ amount: '2', unit: 'days' });
    expect(splitAge(5400)).toEqual({ amount: '90', unit: 'minutes' });
  });

  it('sends days in week order and only the parts switched on', () => {
    const values = { ...initialSlaValues(STORED), freshness: false, days: ['fri', 'mon'] as const };
    expect(slaBody({ ...values, days: [...values.days] })).toEqual({
      freshness: null,
      deadline: { time: '06:00', zone: 'Europe/Berlin', days: ['mon', 'fri'] },
    });
  });

  it('passes an age it cannot read to the API, which names the field', () => {
    const body = slaBody({ ...initialSlaValues(null), maxAge: 'soon' });
    expect(body.freshness).toEqual({ max_age_seconds: 'soon' });
  });

  it('reads like a sentence', () => {
    expect(describeSla(STORED)).toBe('fresh within 2 h · done by 06:00 Europe/Berlin, Mon–Fri');
    expect(formatDays(['mon', 'wed', 'fri'])).toBe('Mon, Wed, Fri');
    expect(formatDays(['sat', 'sun'])).toBe('Sat, Sun');
    expect(formatDays(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).toBe('every day');
  });
});
