import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { ApiError, toProblem } from '../lib/problem';
import { ProblemView } from './ProblemView';

describe('ProblemView', () => {
  it('shows what went wrong and names each field in plain words', () => {
    const error = new ApiError(
      toProblem(422, {
        title: 'Invalid input',
        detail: 'Invalid value for: body.connection.port, body.connection.host',
        errors: [
          { field: 'body.connection.port', message: 'Input should be less than or equal to 65535' },
          { field: 'body.connection.host', message: 'String should match pattern' },
        ],
      }),
    );
    render(<ProblemView error={error} context="Could not save the connection" />);
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Could not save the connection: Invalid input');
    expect(alert).toHaveTextContent('connection › port: Input should be less than or equal to 65535');
    expect(alert).toHaveTextContent('connection › host: String should match pattern');
    expect(alert).not.toHaveTextContent('body.connection');
  });

  it('shows the detail when there are no field errors', () => {
    render(<ProblemView error={new ApiError(toProblem(403, { title: 'Forbidden', detail: 'Admins only' }))} />);
    expect(screen.getByRole('alert')).toHaveTextContent('ForbiddenAdmins only');
  });

  it('explains an unreachable server', () => {
    render(<ProblemView error={new TypeError('Failed to fetch')} />);
    expect(screen.getByRole('alert')).toHaveTextContent('The DLV server could not be reached');
  });
});
