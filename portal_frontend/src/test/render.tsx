import { createMemoryHistory } from "@tanstack/react-router";
import { render } from "@testing-library/react";
import { App, makeQueryClient } from "@/app/providers";

/** The whole app at `url`: a fresh QueryClient (no retries) and a memory history. */
export function renderApp(url: string) {
  const queryClient = makeQueryClient();
  queryClient.setDefaultOptions({ queries: { retry: false, staleTime: 0, refetchInterval: false }, mutations: { retry: false } });
  const history = createMemoryHistory({ initialEntries: [url] });
  const view = render(<App queryClient={queryClient} history={history} />);
  return { ...view, history, queryClient };
}
