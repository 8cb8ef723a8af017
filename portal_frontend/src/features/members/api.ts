import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type Member = components["schemas"]["Member"];
export type MemberUpdate = BodyOf<"/portal/api/v1/communities/{community_id}/members/{key}", "patch">;
/** The roles the portal may give (below the broadcaster); `null` follows the platform again. */
export const GRANTABLE = ["everyone", "regular", "subscriber", "vip", "moderator"] as const;

const listKey = (communityId: number) => ["c", communityId, "members"] as const;

export function useSetRole(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number; body: MemberUpdate }) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/members/{key}", {
          params: { path: { community_id: communityId, key: id } },
          body,
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}

export function useRemoveMember(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/portal/api/v1/communities/{community_id}/members/{key}", { params: { path: { community_id: communityId, key: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: listKey(communityId) }),
  });
}
