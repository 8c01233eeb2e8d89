import { lazy } from 'react';
import type { RouteObject } from 'react-router';
import { CreatePage } from './CreatePage';
import { ListPage } from './ListPage';

// React Flow and the canvas load only when a dashboard is opened.
const DashboardPage = lazy(() => import('./DashboardPage'));

/** The dashboards' pages (list, create, view, edit), under /dashboards. */
export const dashboardRoutes: RouteObject[] = [
  { path: 'dashboards', element: <ListPage /> },
  { path: 'dashboards/new', element: <CreatePage /> },
  { path: 'dashboards/:id', element: <DashboardPage editing={false} /> },
  { path: 'dashboards/:id/edit', element: <DashboardPage editing /> },
];
