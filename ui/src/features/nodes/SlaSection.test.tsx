import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeRead } from '../../api/client';
import { SlaSection } from './SlaSection';
import type { SlaRead } from './slaForm';

// Removing asks in place first; removing through the real API is the e2e test's (sla.spec.ts).
const mocks = vi.hoisted(() => ({
  remove: { mutate: vi.fn(), error: null as unknown, isPending: false },
  sla: { data: undefined as unknown, isPending: false, error: null },
}));
vi.mock('../../api/queries', () => ({
  useNodeSla: () => mocks.sla,
  useDeleteSla: () => mocks.remove,
  usePutSla: () => ({ mutate: vi.fn(), error: null, isPending: false }),
}));

const NODE = { id: '6b1f3c1e-0000-4000-8000-000000000002', name: 'mart.report' } as NodeRead;

const SLA: SlaRead = {
  node_id: NODE.id,
  freshness: { max_age_seconds: 7200 },
  deadline: null,
  state: 'met',
  late_since: null,
  reason: null,
  last_success_at: null,
  next_deadline_at: null,
  updated_at: '2026-12-07T04:00:00Z',
  updated_by: 'admin',
};

describe('removing an SLA', () => {
  beforeEach(() => {
    mocks.remove.mutate.mockClear();
    mocks.sla.data = SLA;
  });

  it('asks in place, and removes only once confirmed', async () => {
    const user = userEvent.setup();
    render(<SlaSection node={NODE} admin />);
    await user.click(screen.getByRole('button', { name: 'Remove SLA' }));
    const ask = screen.getByRole('group', { name: 'Remove the SLA' });
    expect(ask).toHaveTextContent('Remove this SLA?');
    expect(mocks.remove.mutate).not.toHaveBeenCalled();
    await user.click(within(ask).getByRole('button', { name: 'Remove the SLA' }));
    expect(mocks.remove.mutate).toHaveBeenCalledTimes(1);
  });

  it('cancelling keeps the SLA', async () => {
    const user = userEvent.setup();
    render(<SlaSection node={NODE} admin />);
    await user.click(screen.getByRole('button', { name: 'Remove SLA' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('group', { name: 'Remove the SLA' })).toBeNull();
    expect(mocks.remove.mutate).not.toHaveBeenCalled();
  });

  it('a viewer is not offered it', () => {
    render(<SlaSection node={NODE} admin={false} />);
    expect(screen.queryByRole('button', { name: 'Remove SLA' })).toBeNull();
  });
});
