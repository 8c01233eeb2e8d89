// A node's check interval as a person picks it (a preset, "manual only" or a custom number of
// seconds) and as the API stores it (`check_interval_seconds`: seconds, or null for manual).

/** The API's bounds (DLV_MONITOR_MIN_INTERVAL_SECONDS defaults to 30; one week at most). */
export const MIN_INTERVAL = 30;
export const MAX_INTERVAL = 7 * 24 * 3600;

export const PRESETS: { value: string; label: string; seconds: number | null }[] = [
  { value: '60', label: 'Every minute', seconds: 60 },
  { value: '300', label: 'Every 5 minutes', seconds: 300 },
  { value: '900', label: 'Every 15 minutes', seconds: 900 },
  { value: '3600', label: 'Every hour', seconds: 3600 },
  { value: 'manual', label: 'Manual only', seconds: null },
];

export const CUSTOM = 'custom';

/** What the form holds: the select's value, and the seconds typed when it is "custom". */
export interface IntervalChoice {
  preset: string;
  custom: string;
}

/** The form's starting point for a stored interval: its preset, or "custom" with its seconds. */
export function choiceOf(seconds: number | null): IntervalChoice {
  const preset = PRESETS.find((p) => p.seconds === seconds);
  if (preset) return { preset: preset.value, custom: '' };
  return { preset: CUSTOM, custom: String(seconds) };
}

export type IntervalValue = { ok: true; seconds: number | null } | { ok: false; error: string };

/** The seconds to send for a choice, or why they cannot be sent. */
export function secondsOf(choice: IntervalChoice, min: number = MIN_INTERVAL): IntervalValue {
  if (choice.preset !== CUSTOM) {
    const preset = PRESETS.find((p) => p.value === choice.preset);
    return preset ? { ok: true, seconds: preset.seconds } : { ok: false, error: 'Pick an interval' };
  }
  const text = choice.custom.trim();
  if (text === '') return { ok: false, error: 'Enter a number of seconds' };
  if (!/^\d+$/.test(text)) return { ok: false, error: 'Enter a whole number of seconds' };
  const seconds = Number(text);
  if (seconds < min) return { ok: false, error: `Must be at least ${min} seconds` };
  if (seconds > MAX_INTERVAL) return { ok: false, error: `Must be at most ${MAX_INTERVAL.toLocaleString('en')} seconds (a week)` };
  return { ok: true, seconds };
}

/** "every 5 minutes", "every 90 seconds", "manual only": an interval in words. */
export function describeInterval(seconds: number | null): string {
  if (seconds === null) return 'Manual only';
  const preset = PRESETS.find((p) => p.seconds === seconds);
  if (preset) return preset.label;
  if (seconds % 3600 === 0) return `Every ${seconds / 3600} hours`;
  if (seconds % 60 === 0) return `Every ${seconds / 60} minutes`;
  return `Every ${seconds.toLocaleString('en')} seconds`;
}
