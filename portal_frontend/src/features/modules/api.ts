import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type Module = components["schemas"]["ModuleItem"];
export type ModuleChange = BodyOf<"/portal/api/v1/communities/{community_id}/modules/{key}", "put">;

/** Every catalogue module (installed or not), in pages of 100 until `next_cursor` is null. */
export const modulesQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "modules"],
    queryFn: async () => {
      const items: Module[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const answer = await unwrap(
          api.GET("/portal/api/v1/communities/{community_id}/modules", {
            params: { path: { community_id: communityId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
          }),
        );
        items.push(...answer.items);
        if (!answer.next_cursor) break;
        cursor = answer.next_cursor;
      }
      return { items };
    },
  });

/** Install (on a module not installed), enable, disable or change settings: one PUT. */
export function useChangeModule(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, change }: { name: string; change: ModuleChange }) =>
      unwrap(
        api.PUT("/portal/api/v1/communities/{community_id}/modules/{key}", {
          params: { path: { community_id: communityId, key: name } },
          body: change,
        }),
      ),
    // Enabling one music module disables the other (§12), and commands come and go: refetch.
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId] }),
  });
}

export function useUninstallModule(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) =>
      unwrap(
        api.DELETE("/portal/api/v1/communities/{community_id}/modules/{key}", {
          params: { path: { community_id: communityId, key: name } },
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId] }),
  });
}
