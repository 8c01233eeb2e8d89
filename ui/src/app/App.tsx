import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useEffect } from 'react';
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation, type LoaderFunctionArgs } from 'react-router';
import { rootPath } from '../api/client';
import { fetchLineage, fetchNode, keys } from '../api/queries';
import { Loading } from '../components/misc';
import { LoginPage } from '../features/auth/LoginPage';
import { adminRoutes } from '../features/admin/routes';
import { dashboardRoutes } from '../features/dashboards/routes';
import { HomePage } from '../features/home/HomePage';
import { ImpactPage } from '../features/impact/ImpactPage';
import { NodePage } from '../features/nodes/NodePage';
import { readParams } from '../features/lineage/params';
import { SearchPage } from '../features/search/SearchPage';
import { ApiError } from '../lib/problem';
import { session, useSession } from './session';
import { Shell } from './Shell';

// React Flow, the explorer and its layout worker load only when the explorer is opened.
const LineagePage = lazy(() => import('../features/lineage/LineagePage'));
const MonitorPage = lazy(() => import('../features/monitor/MonitorPage'));

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache(),
    mutationCache: new MutationCache(),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A 4xx will not change by asking again; a dropped connection might.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

const queryClient = makeQueryClient();

/** Signed-in pages: without a session, go to sign-in and come back here after. */
function RequireSession() {
  const current = useSession();
  const location = useLocation();
  useEffect(() => {
    if (!current) queryClient.clear();
  }, [current]);
  if (!current) {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <Shell>
      <Suspense fallback={<Loading what="the page" />}>
        <Outlet />
      </Suspense>
    </Shell>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. Use the search box above, or go to the <a href={`${rootPath}/`}>home page</a>.
      </p>
    </section>
  );
}

/**
 * Starts the explorer's lineage request with the navigation, beside the download of the
 * explorer's code, instead of after it. Returns at once: the page shows its own loading.
 */
function prefetchLineage({ params, request }: LoaderFunctionArgs): null {
  const id = params.id;
  if (id && session.get()) {
    const { direction, depth } = readParams(new URL(request.url).searchParams);
    void queryClient.prefetchQuery({ queryKey: keys.lineage(id, direction, depth), queryFn: () => fetchLineage(id, direction, depth) });
    void queryClient.prefetchQuery({ queryKey: keys.node(id), queryFn: () => fetchNode(id) });
  }
  return null;
}

const router = createBrowserRouter(
  [
    { path: '/login', element: <LoginPage /> },
    {
      element: <RequireSession />,
      children: [
        { index: true, element: <HomePage /> },
        { path: 'search', element: <SearchPage /> },
        { path: 'nodes/:id', element: <NodePage /> },
        { path: 'nodes/:id/lineage', element: <LineagePage />, loader: prefetchLineage },
        { path: 'nodes/:id/impact', element: <ImpactPage /> },
        { path: 'monitor', element: <MonitorPage /> },
        ...dashboardRoutes,
        ...adminRoutes,
        { path: '*', element: <NotFound /> },
      ],
    },
  ],
  { basename: rootPath || '/' },
);

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  );
}

export function signOut(): void {
  session.signOut('You have signed out.');
  queryClient.clear();
}
