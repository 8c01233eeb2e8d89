import { describe, expect, it } from 'vitest';
import { ApiError, fieldMessage, toProblem } from '../../lib/problem';
import { choiceOf, CUSTOM, describeInterval, PRESETS, secondsOf } from './interval';

describe('the check interval', () => {
  it('maps each preset to its seconds and back', () => {
    for (const preset of PRESETS) {
      const choice = choiceOf(preset.seconds);
      expect(choice).toEqual({ preset: preset.value, custom: '' });
      expect(secondsOf(choice)).toEqual({ ok: true, seconds: preset.seconds });
    }
    expect(choiceOf(null).preset).toBe('manual');
    expect(choiceOf(300).preset).toBe('300');
  });

  it('shows a stored interval that is no preset as custom seconds', () => {
    expect(choiceOf(90)).toEqual({ preset: CUSTOM, custom: '90' });
    expect(secondsOf(choiceOf(90))).toEqual({ ok: true, seconds: 90 });
  });

  it('accepts custom seconds from the minimum up, trimmed', () => {
    expect(secondsOf({ preset: CUSTOM, custom: '30' })).toEqual({ ok: true, seconds: 30 });
    expect(secondsOf({ preset: CUSTOM, custom: ' 120 ' })).toEqual({ ok: true, seconds: 120 });
    expect(secondsOf({ preset: CUSTOM, custom: '604800' })).toEqual({ ok: true, seconds: 604800 });
  });

  it('refuses custom seconds below the minimum, above a week, empty or not whole', () => {
    expect(secondsOf({ preset: CUSTOM, custom: '29' })).toEqual({ ok: false, error: 'Must be at least 30 seconds' });
    expect(secondsOf({ preset: CUSTOM, custom: '45' }, 60)).toEqual({ ok: false, error: 'Must be at least 60 seconds' });
    expect(secondsOf({ preset: CUSTOM, custom: '604801' }).ok).toBe(false);
    expect(secondsOf({ preset: CUSTOM, custom: '' })).toEqual({ ok: false, error: 'Enter a number of seconds' });
    for (const text of ['1.5', '-60', '1e3', 'abc']) {
      expect(secondsOf({ preset: CUSTOM, custom: text })).toEqual({ ok: false, error: 'Enter a whole number of seconds' });
    }
  });

  it('refuses a preset it does not know', () => {
    expect(secondsOf({ preset: '17', custom: '' }).ok).toBe(false);
  });

  it('says an interval in words', () => {
    expect(describeInterval(null)).toBe('Manual only');
    expect(describeInterval(300)).toBe('Every 5 minutes');
    expect(describeInterval(7200)).toBe('Every 2 hours');
    expect(describeInterval(120)).toBe('Every 2 minutes');
    expect(describeInterval(45)).toBe('Every 45 seconds');
  });

  it("finds the server's error about the interval field", () => {
    const error = new ApiError(
      toProblem(400, {
        title: 'Invalid input',
        detail: 'Checks run at most every 60 seconds',
        errors: [{ field: 'body.check_interval_seconds', message: 'must be at least 60' }],
      }),
    );
    expect(fieldMessage(error, 'body.check_interval_seconds')).toBe('must be at least 60');
    const union = new ApiError(toProblem(422, { errors: [{ field: 'body.check_interval_seconds.int', message: 'too small' }] }));
    expect(fieldMessage(union, 'body.check_interval_seconds')).toBe('too small');
    expect(fieldMessage(error, 'body.name')).toBeUndefined();
    expect(fieldMessage(new Error('offline'), 'body.check_interval_seconds')).toBeUndefined();
  });
});
