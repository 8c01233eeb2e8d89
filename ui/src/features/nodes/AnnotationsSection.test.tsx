import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { NodeRead } from '../../api/client';
import { AnnotationsSection } from './AnnotationsSection';

// Deleting asks in place first, for the one annotation it is about.
const remove = vi.hoisted(() => ({ mutate: vi.fn(), error: null as unknown, isPending: false }));
vi.mock('../../api/queries', () => ({
  useAddAnnotation: () => ({ mutate: vi.fn(), error: null, isPending: false }),
  useDeleteAnnotation: () => remove,
}));

const NODE = {
  id: '6b1f3c1e-0000-4000-8000-000000000003',
  annotations: [
    { id: 'a1', text: 'Finance reads this at 06:00', author: 'carol', created_at: '2026-12-07T04:00:00Z' },
    { id: 'a2', text: 'Page #data-oncall if late', author: 'dave', created_at: '2026-12-07T05:00:00Z' },
  ],
} as unknown as NodeRead;

describe('deleting an annotation', () => {
  beforeEach(() => remove.mutate.mockClear());

  it('asks in place, and deletes that annotation only once confirmed', async () => {
    const user = userEvent.setup();
    render(<AnnotationsSection node={NODE} admin />);
    await user.click(screen.getByRole('button', { name: /Delete the annotation “Page #data-oncall/ }));
    const ask = screen.getByRole('group', { name: 'Delete annotation' });
    expect(remove.mutate).not.toHaveBeenCalled();
    await user.click(within(ask).getByRole('button', { name: 'Delete annotation' }));
    expect(remove.mutate).toHaveBeenCalledTimes(1);
    expect(remove.mutate.mock.calls[0]![0]).toBe('a2');
  });

  it('cancelling deletes nothing', async () => {
    const user = userEvent.setup();
    render(<AnnotationsSection node={NODE} admin />);
    await user.click(screen.getByRole('button', { name: /Delete the annotation “Finance/ }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('group', { name: 'Delete annotation' })).toBeNull();
    expect(remove.mutate).not.toHaveBeenCalled();
  });
});
