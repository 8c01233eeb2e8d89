// One way to show an error: RFC 9457 problem+json (DLV's `dlv.errors`), in plain words.

export interface FieldProblem {
  /** The field as the API names it: `body.connection.port`. */
  field: string;
  /** The same, for a person: `connection › port`. */
  label: string;
  message: string;
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
  fields: FieldProblem[];
  /** Members beyond the standard ones (`existing_id`, `current_version`, ...). */
  extra: Record<string, unknown>;
}

const LOCATIONS = new Set(['body', 'query', 'path', 'header', 'cookie']);
const STANDARD = new Set(['type', 'title', 'status', 'detail', 'instance', 'errors']);

/** `body.connection.auth.password` -> `connection › auth › password`; `query.depth` -> `depth`. */
export function fieldLabel(field: string): string {
  const parts = field.split('.').filter((p) => p !== '');
  if (parts.length > 1 && LOCATIONS.has(parts[0] ?? '')) parts.shift();
  if (parts.length === 0) return 'the request';
  return parts
    .map((p) => (/^\d+$/.test(p) ? `#${Number(p) + 1}` : p.replace(/_/g, ' ')))
    .join(' › ');
}

const GENERIC: Record<number, string> = {
  400: 'The request was not understood.',
  401: 'You are not signed in, or your session has expired.',
  403: 'Your role does not allow this.',
  404: 'Not found: it may have been deleted.',
  409: 'This conflicts with what is stored now: reload and try again.',
  413: 'The request is too large.',
  422: 'Some values are not valid.',
  429: 'Too many attempts: wait a little and try again.',
  500: 'The server failed to answer. Try again; if it persists, the server log says why.',
  502: 'The server is not reachable.',
  503: 'The server is not ready (its database may be unreachable).',
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A Problem from whatever an API call failed with: a problem+json body, text, or nothing. */
export function toProblem(status: number, body: unknown): Problem {
  const fallbackTitle = GENERIC[status] ?? `The server answered ${status}.`;
  if (!isRecord(body)) {
    return { status, title: fallbackTitle, detail: '', fields: [], extra: {} };
  }
  const fields: FieldProblem[] = [];
  if (Array.isArray(body.errors)) {
    for (const e of body.errors) {
      if (!isRecord(e)) continue;
      const field = typeof e.field === 'string' ? e.field : '';
      const message = typeof e.message === 'string' ? e.message : String(e.message ?? '');
      fields.push({ field, label: fieldLabel(field), message });
    }
  }
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!STANDARD.has(k)) extra[k] = v;
  const title = typeof body.title === 'string' && body.title ? body.title : fallbackTitle;
  let detail = typeof body.detail === 'string' ? body.detail : '';
  // FastAPI's "Invalid value for: body.x" repeats the field list below in API words.
  if (fields.length > 0 && /^Invalid value for: /.test(detail)) detail = '';
  return { status, title, detail, fields, extra };
}

/** A problem for a request that never got an answer (network down, server stopped). */
export function networkProblem(error: unknown): Problem {
  const why = error instanceof Error && error.message ? ` (${error.message})` : '';
  return {
    status: 0,
    title: 'The DLV server could not be reached',
    detail: `Check that it is running and that this network reaches it${why}.`,
    fields: [],
    extra: {},
  };
}

export class ApiError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail || problem.title);
    this.name = 'ApiError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** The Problem carried by any thrown value. */
export function problemOf(error: unknown): Problem {
  if (error instanceof ApiError) return error.problem;
  return networkProblem(error);
}

/**
 * The message of the field error about `field` (`body.check_interval_seconds`), if the call
 * failed with one: to show it at the field rather than in a list under the form. Pydantic
 * names the branch of a union it tried (`body.x.int`), hence the prefix match.
 */
export function fieldMessage(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  return error.problem.fields.find((f) => f.field === field || f.field.startsWith(`${field}.`))?.message;
}

/** The call's answer, or null when it is a 404: for a resource a node may have or not. */
export async function nullIfNotFound<T>(call: Promise<T>): Promise<T | null> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
