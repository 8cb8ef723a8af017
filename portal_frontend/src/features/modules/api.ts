import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";

export const modulesQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "modules"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/modules", { params: { path: { community_id: communityId } } })),
  });

export function useToggleModule(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, enabled }: { name: string; enabled: boolean }) =>
      unwrap(
        api.PUT("/portal/api/v1/communities/{community_id}/modules/{key}", {
          params: { path: { community_id: communityId, key: name } },
          body: { enabled },
        }),
      ),
    // Enabling one music module disables the other (§12), and commands come and go: refetch.
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId] }),
  });
}
