import { Navigate, type RouteObject } from 'react-router';
import { AdminLayout } from './AdminLayout';
import { AlertsPage } from './AlertsPage';
import { AuditPage } from './AuditPage';
import { IngestionPage } from './IngestionPage';
import { TokensPage } from './TokensPage';
import { UsersPage } from './UsersPage';

/** The administration pages (users, tokens, audit, ingestion, alerts), under /admin: admins only. */
export const adminRoutes: RouteObject[] = [
  {
    path: 'admin',
    element: <AdminLayout />,
    children: [
      { index: true, element: <Navigate to="users" replace /> },
      { path: 'users', element: <UsersPage /> },
      { path: 'tokens', element: <TokensPage /> },
      { path: 'audit', element: <AuditPage /> },
      { path: 'ingestion', element: <IngestionPage /> },
      { path: 'alerts', element: <AlertsPage /> },
    ],
  },
];
