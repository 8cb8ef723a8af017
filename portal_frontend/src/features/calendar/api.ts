import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type CalendarEvent = components["schemas"]["CalendarEvent"];
export type EventCreate = BodyOf<"/portal/api/v1/communities/{community_id}/calendar", "post">;
export type EventUpdate = BodyOf<"/portal/api/v1/communities/{community_id}/calendar/{key}", "patch">;

/** Every calendar list of this community (any search): what a write makes stale. */
const listKey = (communityId: number) => ["c", communityId, "calendar"] as const;

export function useCreateEvent(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: EventCreate) =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/calendar", { params: { path: { community_id: communityId } }, body })),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}

export function useUpdateEvent(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: EventUpdate }) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/calendar/{key}", {
          params: { path: { community_id: communityId, key: id } },
          body,
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}

export function useDeleteEvent(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/portal/api/v1/communities/{community_id}/calendar/{key}", { params: { path: { community_id: communityId, key: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}
