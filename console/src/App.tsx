import { Alert, Center } from '@mantine/core';
import type { ReactNode } from 'react';
import { createBrowserRouter, Navigate, RouterProvider, useLocation } from 'react-router';
import { SessionProvider, useMe, useSession } from './api/session';
import { AppLayout } from './components/app-layout';
import { ErrorState, Loading } from './components/states';
import NotFoundPage from './pages/not-found';
import { consoleRoutes, HOME, publicRoutes, refusal, type ConsoleRoute } from './routes';

/** Signed in: the shell; else to the sign-in page, coming back here afterwards. */
function RequireSession(): ReactNode {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <Loading label="Checking your session…" />;
  if (me.error) return <ErrorState error={me.error} retry={() => void me.refetch()} />;
  if (!me.data) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <SessionProvider me={me.data}>
      <AppLayout />
    </SessionProvider>
  );
}

/** A page the role may not use is refused here too, not only left out of the navigation. */
function Guarded({ route }: { route: ConsoleRoute }): ReactNode {
  const session = useSession();
  if (route.allowed && !route.allowed(session))
    return (
      <Center py="xl">
        <Alert color="yellow" title="Not available">
          {refusal(route.allowed)}
        </Alert>
      </Center>
    );
  return route.element;
}

const router = createBrowserRouter(
  [
    ...publicRoutes.map((r) => ({ path: r.path, element: r.element })),
    {
      path: '/',
      element: <RequireSession />,
      children: [
        { index: true, element: <Navigate to={HOME} replace /> },
        ...consoleRoutes.map((r) => ({ path: r.path, element: <Guarded route={r} /> })),
        { path: '*', element: <NotFoundPage /> },
      ],
    },
  ],
  { basename: '/admin' },
);

export function App(): ReactNode {
  return <RouterProvider router={router} />;
}
