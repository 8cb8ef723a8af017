/**
 * The route tree (code-based TanStack Router, decision 0072): each route declares its path,
 * search schema and guard, and renders a feature's page. Paths are ARCHITECTURE §11's.
 */
import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  type ErrorComponentProps,
  Navigate,
  notFound,
  redirect,
  useRouter,
} from "@tanstack/react-router";
import { z } from "zod";
import { CommunityLayout, RootLayout } from "@/app/layout";
import { Empty, ErrorState, Loading } from "@/components/states";
import { Page } from "@/components/page";
import { AiPage } from "@/features/ai/ai-page";
import { AliasesPage } from "@/features/aliases/aliases-page";
import { AuditPage } from "@/features/audit/audit-page";
import { LoginPage } from "@/features/auth/login-page";
import { BookmarksPage } from "@/features/bookmarks/bookmarks-page";
import { CalendarPage } from "@/features/calendar/calendar-page";
import { CommandsPage } from "@/features/commands/commands-page";
import { commandsSearch } from "@/features/commands/schemas";
import { DashboardPage } from "@/features/dashboard/dashboard-page";
import { InventoryPage } from "@/features/inventory/inventory-page";
import { LabelsPage } from "@/features/labels/labels-page";
import { MembersPage } from "@/features/members/members-page";
import { ModulesPage } from "@/features/modules/modules-page";
import { OverlaysPage } from "@/features/overlays/overlays-page";
import { PointsPage } from "@/features/points/points-page";
import { QuotesPage } from "@/features/quotes/quotes-page";
import { RemindersPage } from "@/features/reminders/reminders-page";
import { SimulatorPage } from "@/features/simulator/simulator-page";
import { SongsPage } from "@/features/songs/songs-page";
import { isUnauthorized } from "@/lib/api/errors";
import { meQuery, useMe } from "@/lib/session";

export type RouterContext = { queryClient: QueryClient };

function RouteError({ error }: ErrorComponentProps) {
  const router = useRouter();
  return (
    <Page title="Something went wrong">
      <ErrorState error={error} onRetry={() => void router.invalidate()} />
    </Page>
  );
}

function NotFoundPage() {
  return (
    <main id="main" className="content">
      <Page title="Page not found">
        <Empty title="There is nothing at this address.">
          <a href="/">Go to your dashboard</a>
        </Empty>
      </Page>
    </main>
  );
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: RootLayout,
  notFoundComponent: NotFoundPage,
  errorComponent: RouteError,
});

const loginSearch = z.object({ redirect: z.string().optional().catch(undefined) });
const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "login",
  validateSearch: loginSearch,
  component: function Login() {
    const { redirect: target } = loginRoute.useSearch();
    return <LoginPage redirect={target} />;
  },
});

/** The session guard: `me` or a trip to sign-in that comes back here. */
const authedRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "authed",
  beforeLoad: async ({ context, location }) => {
    try {
      await context.queryClient.ensureQueryData(meQuery());
    } catch (error) {
      if (isUnauthorized(error)) throw redirect({ to: "/login", search: { redirect: location.href } });
      throw error;
    }
  },
  pendingComponent: () => <Loading />,
});

const homeRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "/",
  component: function Home() {
    const me = useMe();
    const first = me?.communities[0];
    if (first) return <Navigate to="/c/$communityId" params={{ communityId: String(first.id) }} replace />;
    return (
      <main id="main" className="content">
        <Page title="No community yet">
          <Empty title="You are not a member of any community.">
            Ask a community's broadcaster to grant you a role (<code>waddlebot users grant</code>), or add the bot to your own channel.
          </Empty>
        </Page>
      </main>
    );
  },
});

/** The membership guard: the id must be one of `me.communities`. */
const communityRoute = createRoute({
  getParentRoute: () => authedRoute,
  path: "c/$communityId",
  beforeLoad: async ({ context, params }) => {
    const me = await context.queryClient.ensureQueryData(meQuery());
    if (!me.communities.some((c) => String(c.id) === params.communityId)) throw notFound();
  },
  component: function Community() {
    const { communityId } = communityRoute.useParams();
    return <CommunityLayout communityId={Number(communityId)} />;
  },
  pendingComponent: () => <Loading />,
});

function screen<P extends string>(path: P, Render: (props: { communityId: number }) => React.ReactNode) {
  return createRoute({
    getParentRoute: () => communityRoute,
    path,
    component: function Screen() {
      const { communityId } = communityRoute.useParams();
      return <Render communityId={Number(communityId)} />;
    },
    errorComponent: RouteError,
  });
}

const listSearch = z.object({
  q: z.string().optional().catch(undefined),
  actor: z.string().optional().catch(undefined),
  ledger_q: z.string().optional().catch(undefined),
});
function listScreen<P extends string>(path: P, Render: (props: { communityId: number }) => React.ReactNode) {
  return createRoute({
    getParentRoute: () => communityRoute,
    path,
    validateSearch: listSearch,
    component: function Screen() {
      const { communityId } = communityRoute.useParams();
      return <Render communityId={Number(communityId)} />;
    },
    errorComponent: RouteError,
  });
}

const commandsRoute = createRoute({
  getParentRoute: () => communityRoute,
  path: "commands",
  validateSearch: commandsSearch,
  component: function Commands() {
    const { communityId } = communityRoute.useParams();
    return <CommandsPage communityId={Number(communityId)} search={commandsRoute.useSearch()} />;
  },
  errorComponent: RouteError,
});

const routeTree = rootRoute.addChildren([
  loginRoute,
  authedRoute.addChildren([
    homeRoute,
    communityRoute.addChildren([
      screen("/", DashboardPage),
      commandsRoute,
      screen("simulator", SimulatorPage),
      screen("modules", ModulesPage),
      listScreen("points", PointsPage),
      screen("songs", SongsPage),
      screen("overlays", OverlaysPage),
      listScreen("quotes", QuotesPage),
      listScreen("bookmarks", BookmarksPage),
      listScreen("reminders", RemindersPage),
      listScreen("inventory", InventoryPage),
      listScreen("calendar", CalendarPage),
      listScreen("labels", LabelsPage),
      listScreen("aliases", AliasesPage),
      screen("ai", AiPage),
      listScreen("members", MembersPage),
      listScreen("audit", AuditPage),
    ]),
  ]),
]);

export function makeRouter(queryClient: QueryClient, history?: Parameters<typeof createRouter>[0]["history"]) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: "intent",
    defaultPreloadStaleTime: 0,
    scrollRestoration: true,
    ...(history ? { history } : {}),
  });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof makeRouter>;
  }
}
