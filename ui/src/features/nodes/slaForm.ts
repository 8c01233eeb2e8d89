// The SLA form: its values as typed, the PUT body they make, and how an SLA reads in a line.
// Pure: unit-tested without a browser. What cannot be read is sent as typed: the API names
// the field and says why (one way to show an error).
import type { Schemas } from '../../api/client';

export type SlaRead = Schemas['SlaRead'];
export type SlaWrite = Schemas['SlaWrite'];
export type Weekday = Schemas['Weekday'];

export const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const DAY_LABEL: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};
export const UNITS = { minutes: 60, hours: 3600, days: 86400 } as const;
export type Unit = keyof typeof UNITS;

export interface SlaValues {
  freshness: boolean;
  maxAge: string;
  unit: Unit;
  deadline: boolean;
  time: string;
  zone: string;
  days: Weekday[];
}

/** The browser's zone: what a new deadline starts with. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The largest unit that divides the age evenly: 7200 s reads as 2 hours. */
export function splitAge(seconds: number): { amount: string; unit: Unit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds % UNITS[unit] === 0) return { amount: String(seconds / UNITS[unit]), unit };
  }
  return { amount: String(seconds / 60), unit: 'minutes' };
}

export function initialSlaValues(sla: SlaRead | null, zone: string = localZone()): SlaValues {
  const age = sla?.freshness ? splitAge(sla.freshness.max_age_seconds) : { amount: '2', unit: 'hours' as Unit };
  return {
    freshness: sla ? sla.freshness !== null : true,
    maxAge: age.amount,
    unit: age.unit,
    deadline: sla ? sla.deadline !== null : false,
    time: sla?.deadline?.time ?? '06:00',
    zone: sla?.deadline?.zone ?? zone,
    days: sla?.deadline?.days ?? ['mon', 'tue', 'wed', 'thu', 'fri'],
  };
}

/** The PUT body. A maximum age that is not a number goes as typed, for the API to refuse. */
export function slaBody(values: SlaValues): SlaWrite {
  const amount = Number(values.maxAge.trim());
  const seconds = values.maxAge.trim() !== '' && Number.isFinite(amount) ? Math.round(amount * UNITS[values.unit]) : values.maxAge;
  return {
    freshness: values.freshness ? { max_age_seconds: seconds as number } : null,
    deadline: values.deadline
      ? { time: values.time.trim(), zone: values.zone.trim(), days: WEEKDAYS.filter((d) => values.days.includes(d)) }
      : null,
  };
}

/** `Mon–Fri`, `Mon, Wed, Fri`, `every day`. */
export function formatDays(days: Weekday[]): string {
  const idx = WEEKDAYS.map((d) => days.includes(d));
  if (idx.every(Boolean)) return 'every day';
  const first = idx.indexOf(true);
  const last = idx.lastIndexOf(true);
  const run = first >= 0 && idx.slice(first, last + 1).every(Boolean);
  if (run && last - first >= 2) return `${DAY_LABEL[WEEKDAYS[first]!]}–${DAY_LABEL[WEEKDAYS[last]!]}`;
  return WEEKDAYS.filter((_, i) => idx[i]).map((d) => DAY_LABEL[d]).join(', ');
}

/** `2 h`, `45 min`, `1 d 6 h`. */
export function formatAge(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d) return h ? `${d} d ${h} h` : `${d} d`;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** One line: `fresh within 2 h · done by 06:00 Europe/Berlin, Mon–Fri`. */
export function describeSla(sla: Pick<SlaRead, 'freshness' | 'deadline'>): string {
  const parts: string[] = [];
  if (sla.freshness) parts.push(`fresh within ${formatAge(sla.freshness.max_age_seconds)}`);
  if (sla.deadline) parts.push(`done by ${sla.deadline.time} ${sla.deadline.zone}, ${formatDays(sla.deadline.days)}`);
  return parts.join(' · ');
}
