import { lazy, Suspense } from "react";
import { createBrowserRouter, RouterProvider } from "react-router";
import { AppLayout, PageLoading } from "@/components/layouts/app-layout";
import { sessionKey } from "@/features/auth/api/auth";
import { setUnauthorizedHandler } from "@/lib/api-client";
import { queryClient } from "@/lib/query-client";

const LoginRoute = lazy(() => import("./routes/login"));
const HomeRoute = lazy(() => import("./routes/home"));
const RoomRoute = lazy(() => import("./routes/room"));
const InviteRoute = lazy(() => import("./routes/invite"));
const SettingsRoute = lazy(() => import("./routes/settings"));
const NotFoundRoute = lazy(() => import("./routes/not-found"));

const router = createBrowserRouter([
  {
    path: "/login",
    element: (
      <Suspense fallback={<PageLoading />}>
        <LoginRoute />
      </Suspense>
    ),
  },
  {
    path: "/",
    element: <AppLayout />,
    children: [
      { index: true, element: <HomeRoute /> },
      { path: "rooms/:id", element: <RoomRoute /> },
      { path: "invite/:token", element: <InviteRoute /> },
      { path: "settings", element: <SettingsRoute /> },
      { path: "*", element: <NotFoundRoute /> },
    ],
  },
]);

// A 401 from any API call: the session is gone. Go to the login page and come back after.
setUnauthorizedHandler(() => {
  if (router.state.location.pathname === "/login") return;
  const here = router.state.location.pathname + router.state.location.search;
  queryClient.setQueryData(sessionKey, null);
  void router.navigate(`/login?redirect=${encodeURIComponent(here)}`, { replace: true });
});

export function AppRouter() {
  return <RouterProvider router={router} />;
}
