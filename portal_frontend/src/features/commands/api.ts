import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type Command = components["schemas"]["CommandItem"];
export type CommandPatch = BodyOf<"/portal/api/v1/communities/{community_id}/commands/{key}", "patch">;

export const commandsQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "commands"],
    queryFn: () =>
      unwrap(
        api.GET("/portal/api/v1/communities/{community_id}/commands", {
          params: { path: { community_id: communityId }, query: { limit: 500 } },
        }),
      ),
  });

export function usePatchCommand(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ path, patch }: { path: string; patch: CommandPatch }) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/commands/{key}", {
          params: { path: { community_id: communityId, key: path } },
          body: patch,
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: commandsQuery(communityId).queryKey }),
  });
}
