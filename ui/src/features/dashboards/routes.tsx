import { lazy } from 'react';
import type { LoaderFunctionArgs, RouteObject } from 'react-router';
import { session } from '../../app/session';
import { CreatePage } from './CreatePage';
import { ListPage } from './ListPage';
import { prefetchDashboard } from './queries';

// React Flow and the canvas load only when a dashboard is opened.
const DashboardPage = lazy(() => import('./DashboardPage'));

/** Starts the dashboard's request with the navigation, beside the download of the canvas's code. */
function prefetch({ params }: LoaderFunctionArgs): null {
  if (params.id && session.get()) prefetchDashboard(params.id);
  return null;
}

/** The dashboards' pages (list, create, view, edit), under /dashboards. */
export const dashboardRoutes: RouteObject[] = [
  { path: 'dashboards', element: <ListPage /> },
  { path: 'dashboards/new', element: <CreatePage /> },
  { path: 'dashboards/:id', element: <DashboardPage editing={false} />, loader: prefetch },
  { path: 'dashboards/:id/edit', element: <DashboardPage editing />, loader: prefetch },
];
