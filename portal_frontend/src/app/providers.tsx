import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider, type RouterHistory } from "@tanstack/react-router";
import { useState } from "react";
import { ToastProvider } from "@/components/toast";
import { setUnauthorizedHandler } from "@/lib/api/client";
import { ApiError } from "@/lib/api/errors";
import { makeRouter } from "@/routes/router";

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        refetchOnWindowFocus: false,
        // Never retry a 4xx (the answer will not change); twice for network and 5xx.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      },
      mutations: { retry: false },
    },
  });
}

/** The whole app: one QueryClient, one router, toasts; a 401 anywhere goes to sign-in and back. */
export function App({ queryClient, history }: { queryClient?: QueryClient; history?: RouterHistory }) {
  const [client] = useState(() => queryClient ?? makeQueryClient());
  const [router] = useState(() => {
    const made = makeRouter(client, history);
    setUnauthorizedHandler(() => {
      const here = made.state.location.href;
      client.removeQueries({ queryKey: ["c"] });
      client.removeQueries({ queryKey: ["me"] });
      if (!made.state.location.pathname.startsWith("/login")) void made.navigate({ to: "/login", search: { redirect: here } });
    });
    return made;
  });
  return (
    <QueryClientProvider client={client}>
      <ToastProvider>
        <RouterProvider router={router} />
      </ToastProvider>
    </QueryClientProvider>
  );
}
