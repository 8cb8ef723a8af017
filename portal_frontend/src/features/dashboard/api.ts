import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";

export const statusQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "dashboard", "status"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/status", { params: { path: { community_id: communityId } } })),
    refetchOnWindowFocus: true,
    refetchInterval: 30_000,
  });

/** Recent events, kept live by polling (decision 0074): new ones land at the top. */
export const eventsQuery = (communityId: number, intervalMs = 5_000) =>
  queryOptions({
    queryKey: ["c", communityId, "dashboard", "events"],
    queryFn: () =>
      unwrap(
        api.GET("/portal/api/v1/communities/{community_id}/events", {
          params: { path: { community_id: communityId }, query: { limit: 25 } },
        }),
      ),
    refetchOnWindowFocus: true,
    refetchInterval: intervalMs,
  });
