import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type InventoryItem = components["schemas"]["InventoryItem"];
export type ItemCreate = BodyOf<"/portal/api/v1/communities/{community_id}/inventory", "post">;
export type ItemUpdate = BodyOf<"/portal/api/v1/communities/{community_id}/inventory/{key}", "patch">;

const listKey = (communityId: number) => ["c", communityId, "inventory"] as const;

export function useAddItem(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ItemCreate) =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/inventory", { params: { path: { community_id: communityId } }, body })),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}

export function useUpdateItem(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: ItemUpdate }) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/inventory/{key}", {
          params: { path: { community_id: communityId, key: id } },
          body,
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}

export function useDeleteItem(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, force = false }: { id: number; force?: boolean }) =>
      unwrap(
        api.DELETE("/portal/api/v1/communities/{community_id}/inventory/{key}", {
          params: { path: { community_id: communityId, key: id }, query: force ? { force: true } : {} },
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}
