import { describe, expect, it } from 'vitest';
import { ApiError, fieldLabel, networkProblem, nullIfNotFound, problemOf, toProblem } from './problem';

describe('fieldLabel', () => {
  it('drops the location and says the path in words', () => {
    expect(fieldLabel('body.connection.port')).toBe('connection › port');
    expect(fieldLabel('query.depth')).toBe('depth');
    expect(fieldLabel('body.owners.0')).toBe('owners › #1');
    expect(fieldLabel('body.connection.auth.password')).toBe('connection › auth › password');
    expect(fieldLabel('body.status_message')).toBe('status message');
  });

  it('names the request itself when there is no field', () => {
    expect(fieldLabel('')).toBe('the request');
    expect(fieldLabel('body')).toBe('body');
  });
});

describe('toProblem', () => {
  it('keeps title, detail and every field error of a problem+json body', () => {
    const p = toProblem(409, {
      type: 'https://dlv.dev/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'A node with this namespace and name exists',
      existing_id: 'abc',
    });
    expect(p).toMatchObject({ status: 409, title: 'Conflict', detail: 'A node with this namespace and name exists', fields: [] });
    expect(p.extra).toEqual({ existing_id: 'abc' });
  });

  it('drops FastAPI’s “Invalid value for” detail when the fields say it better', () => {
    const p = toProblem(422, {
      title: 'Invalid input',
      detail: 'Invalid value for: body.connection.port',
      errors: [{ field: 'body.connection.port', message: 'Input should be less than or equal to 65535' }],
    });
    expect(p.detail).toBe('');
    expect(p.fields).toEqual([{ field: 'body.connection.port', label: 'connection › port', message: 'Input should be less than or equal to 65535' }]);
  });

  it('says something useful for an answer that is not problem+json', () => {
    expect(toProblem(502, '<html>Bad gateway</html>').title).toBe('The server is not reachable.');
    expect(toProblem(418, null).title).toBe('The server answered 418.');
  });

  it('ignores malformed field entries instead of failing', () => {
    expect(toProblem(422, { errors: ['nonsense', { message: 'no field' }] }).fields).toEqual([{ field: '', label: 'the request', message: 'no field' }]);
  });
});

describe('problemOf', () => {
  it('unwraps an ApiError and turns anything else into a network problem', () => {
    const apiError = new ApiError(toProblem(404, { title: 'Not found', detail: 'No node with id x' }));
    expect(problemOf(apiError).detail).toBe('No node with id x');
    expect(problemOf(new TypeError('Failed to fetch'))).toEqual(networkProblem(new TypeError('Failed to fetch')));
    expect(problemOf(new TypeError('Failed to fetch')).title).toBe('The DLV server could not be reached');
  });
});

describe('nullIfNotFound', () => {
  it('turns a 404 into null and passes answers and other errors through', async () => {
    const missing = new ApiError(toProblem(404, { title: 'Not found', status: 404 }));
    const refused = new ApiError(toProblem(403, { title: 'Forbidden', status: 403 }));
    await expect(nullIfNotFound(Promise.reject(missing))).resolves.toBeNull();
    await expect(nullIfNotFound(Promise.resolve(7))).resolves.toBe(7);
    await expect(nullIfNotFound(Promise.reject(refused))).rejects.toBe(refused);
  });
});
