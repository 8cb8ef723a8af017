import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap } from "@/lib/api/client";
import { type FeedEvent, subscribe } from "@/lib/realtime";

/** The community with its linked platforms (`twitch:1234`, …). */
export const communityQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "dashboard", "community"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}", { params: { path: { community_id: communityId } } })),
    refetchOnWindowFocus: true,
  });

/** A one-time code that links another platform's server (the broadcaster's; shown once). */
export function useLinkCode(communityId: number) {
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/connections/code", { params: { path: { community_id: communityId } } })),
  });
}

export const eventsKey = (communityId: number) => ["c", communityId, "dashboard", "events"] as const;
const KEEP = 50;

/**
 * Recent events, live: the SSE feed pushes each one into the query cache (newest first,
 * the last 50), so the list survives a screen change and a community switch starts empty.
 */
export function useLiveEvents(communityId: number): { events: FeedEvent[]; state: "connecting" | "live" | "reconnecting" } {
  const client = useQueryClient();
  const key = eventsKey(communityId);
  const [state, setState] = useState<"connecting" | "live" | "reconnecting">("connecting");
  const [events, setEvents] = useState<FeedEvent[]>(() => client.getQueryData<FeedEvent[]>(key) ?? []);
  useEffect(() => {
    setEvents(client.getQueryData<FeedEvent[]>(key) ?? []);
    setState("connecting");
    return subscribe(
      communityId,
      (event) => {
        const known = client.getQueryData<FeedEvent[]>(key) ?? [];
        // A reconnect (or coming back to this screen) replays the recent entries: once each.
        if (known.some((e) => e.id === event.id)) return;
        const next = [event, ...known].slice(0, KEEP);
        client.setQueryData(key, next);
        setEvents(next);
        // A change made elsewhere (another moderator, a chat command) refreshes that screen's data.
        if (event.kind === "change" && typeof event.data.resource === "string")
          void client.invalidateQueries({ queryKey: ["c", communityId, event.data.resource] });
      },
      setState,
    );
  }, [client, communityId]);
  return { events, state };
}
