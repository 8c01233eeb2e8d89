import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeRead } from '../../api/client';
import { ApiError, toProblem } from '../../lib/problem';
import { ScheduleSection } from './ScheduleSection';

// The form's own behaviour; saving through the real API is the e2e test's (monitor.spec.ts).
const mutation = vi.hoisted(() => ({ mutate: vi.fn(), reset: vi.fn(), error: null as unknown, isPending: false, isSuccess: false }));
vi.mock('../../api/queries', () => ({ useUpdateNode: () => mutation }));

function node(extra: Partial<NodeRead> = {}): NodeRead {
  return {
    id: '6b1f3c1e-0000-4000-8000-000000000001',
    kind: 'postgres',
    namespace: 'postgres://db:5432',
    name: 'shop',
    parent_id: null,
    description: null,
    owner: null,
    owners: [],
    tags: [],
    annotations: [],
    status: 'ok',
    status_message: null,
    status_changed_at: null,
    connection: null,
    check_interval_seconds: 300,
    collect_on_schedule: true,
    next_check_at: null,
    created_at: '2026-12-07T04:00:00Z',
    updated_at: '2026-12-07T04:00:00Z',
    ...extra,
  };
}

describe('the schedule section', () => {
  beforeEach(() => {
    mutation.mutate.mockClear();
    mutation.error = null;
  });

  it('saves a custom interval and the collect toggle as the API wants them', async () => {
    const user = userEvent.setup();
    render(<ScheduleSection node={node()} admin />);
    expect(screen.getByLabelText('Check interval')).toHaveValue('300');
    expect(screen.getByRole('button', { name: 'Save schedule' })).toBeDisabled();
    await user.selectOptions(screen.getByLabelText('Check interval'), 'Custom…');
    await user.type(screen.getByLabelText('Seconds between checks'), '90');
    await user.click(screen.getByLabelText(/Collect on schedule/));
    await user.click(screen.getByRole('button', { name: 'Save schedule' }));
    expect(mutation.mutate).toHaveBeenCalledWith({ check_interval_seconds: 90, collect_on_schedule: false });
  });

  it('sends null for manual only', async () => {
    const user = userEvent.setup();
    render(<ScheduleSection node={node()} admin />);
    await user.selectOptions(screen.getByLabelText('Check interval'), 'Manual only');
    await user.click(screen.getByRole('button', { name: 'Save schedule' }));
    expect(mutation.mutate).toHaveBeenCalledWith({ check_interval_seconds: null, collect_on_schedule: true });
  });

  it('refuses too short an interval at the field, without asking the server', async () => {
    const user = userEvent.setup();
    render(<ScheduleSection node={node()} admin />);
    await user.selectOptions(screen.getByLabelText('Check interval'), 'Custom…');
    await user.type(screen.getByLabelText('Seconds between checks'), '20');
    await user.click(screen.getByRole('button', { name: 'Save schedule' }));
    expect(mutation.mutate).not.toHaveBeenCalled();
    expect(screen.getByLabelText('Seconds between checks')).toHaveAccessibleDescription('Must be at least 30 seconds');
  });

  it("shows the server's field error at the interval, not in a list under the form", () => {
    mutation.error = new ApiError(
      toProblem(400, {
        title: 'Invalid input',
        detail: 'Checks run at most every 120 seconds',
        errors: [{ field: 'body.check_interval_seconds', message: 'must be at least 120' }],
      }),
    );
    render(<ScheduleSection node={node({ check_interval_seconds: 90 })} admin />);
    expect(screen.getByLabelText('Seconds between checks')).toHaveAccessibleDescription('must be at least 120');
    expect(screen.getByLabelText('Check interval')).toHaveAccessibleDescription('must be at least 120');
    expect(screen.getAllByRole('alert')).toHaveLength(1);
  });

  it('shows a viewer the schedule in words, and no control', () => {
    render(<ScheduleSection node={node({ check_interval_seconds: 900, collect_on_schedule: false })} admin={false} />);
    const section = screen.getByRole('region', { name: 'Schedule' });
    expect(section).toHaveTextContent('Every 15 minutes');
    expect(section).toHaveTextContent('Collect on scheduleNo');
    expect(section).toHaveTextContent('not scheduled');
    expect(screen.queryByRole('combobox')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
