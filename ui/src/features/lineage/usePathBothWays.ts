import { usePath } from '../../api/queries';
import { ApiError } from '../../lib/problem';

/**
 * The shortest path between two chosen nodes. Paths follow the flow; when none goes from
 * `from` to `to`, the one from `to` to `from` is looked for (people pick the ends in any order).
 */
export function usePathBothWays(from: string | null, to: string | null) {
  const forward = usePath(from, to);
  const notFound = forward.error instanceof ApiError && forward.error.status === 404;
  const backward = usePath(notFound ? to : null, notFound ? from : null);
  const data = forward.data ?? backward.data;
  const reversed = !forward.data && Boolean(backward.data);
  const missing = notFound && backward.error instanceof ApiError && backward.error.status === 404;
  const error = (!notFound && forward.error) || (!missing && backward.error) || null;
  const loading = Boolean(from && to) && (forward.isLoading || backward.isLoading);
  return { data, reversed, missing, error, loading };
}
