import type { RouteObject } from 'react-router';

/** The administration pages (users, tokens, audit, ingestion), under /admin: admins only. */
export const adminRoutes: RouteObject[] = [{ path: 'admin', element: <AdminPlaceholder /> }];

function AdminPlaceholder() {
  return (
    <section>
      <h1>Administration</h1>
    </section>
  );
}
