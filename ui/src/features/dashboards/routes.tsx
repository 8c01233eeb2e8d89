import type { RouteObject } from 'react-router';

/** The dashboards' pages (list, view, edit), under /dashboards. */
export const dashboardRoutes: RouteObject[] = [{ path: 'dashboards', element: <DashboardsPlaceholder /> }];

function DashboardsPlaceholder() {
  return (
    <section>
      <h1>Dashboards</h1>
    </section>
  );
}
