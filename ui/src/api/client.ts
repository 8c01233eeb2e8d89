// The one API layer: openapi-fetch typed by the schema generated from DLV's /openapi.json.
import createClient, { type Middleware } from 'openapi-fetch';
import { session } from '../app/session';
import { ApiError, networkProblem, toProblem } from '../lib/problem';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type NodeRead = Schemas['NodeRead'];
export type NodeKind = Schemas['NodeKind'];
export type NodeStatus = Schemas['NodeStatus'];
export type LineageGraph = Schemas['LineageGraph'];
export type LineageNode = Schemas['LineageNode'];
export type LineageEdge = Schemas['LineageEdge'];
export type ContainerNode = Schemas['ContainerNode'];
export type ImpactReport = Schemas['ImpactReport'];
export type CauseNode = Schemas['CauseNode'];
export type CheckResult = Schemas['CheckResult'];
export type CheckRead = Schemas['CheckRead'];
export type RunRead = Schemas['RunRead'];
export type Me = Schemas['Me'];

/** The prefix DLV is served under (a proxy's root path), told by the server in index.html. */
export const rootPath: string =
  (typeof document !== 'undefined' &&
    document.querySelector<HTMLMetaElement>('meta[name="dlv-root-path"]')?.content) ||
  '';

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const current = session.get();
    if (current && !request.headers.has('Authorization')) {
      request.headers.set('Authorization', `Bearer ${current.token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    const sent = request.headers.get('Authorization');
    if (response.status === 401 && sent?.startsWith('Bearer ')) {
      session.expire(sent.slice('Bearer '.length));
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: rootPath || undefined });
api.use(authMiddleware);

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a call, or an ApiError carrying its problem+json. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (error) {
    throw new ApiError(networkProblem(error));
  }
  if (outcome.response.ok) return outcome.data as T;
  throw new ApiError(toProblem(outcome.response.status, outcome.error));
}

/** GET a file the API makes (the impact CSV): fetched with the token, then saved. */
export async function download(path: string, filename: string): Promise<void> {
  const current = session.get();
  let response: Response;
  try {
    response = await fetch(`${rootPath}${path}`, {
      headers: current ? { Authorization: `Bearer ${current.token}` } : {},
    });
  } catch (error) {
    throw new ApiError(networkProblem(error));
  }
  if (!response.ok) {
    if (response.status === 401 && current) session.expire(current.token);
    let body: unknown = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    throw new ApiError(toProblem(response.status, body));
  }
  const blob = await response.blob();
  const disposition = response.headers.get('Content-Disposition') ?? '';
  const named = /filename="([^"]+)"/.exec(disposition)?.[1];
  saveBlob(blob, named ?? filename);
}

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
