import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import type { BodyOf } from "@/lib/api/types";

export type Command = components["schemas"]["CommandItem"];
export type CommandPatch = BodyOf<"/portal/api/v1/communities/{community_id}/commands/{key}", "patch">;

/** Every command of the community (pages of 100 until `next_cursor` is null): search and sort run here. */
export const commandsQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "commands"],
    queryFn: async () => {
      const items: Command[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 50; page += 1) {
        const answer = await unwrap(
          api.GET("/portal/api/v1/communities/{community_id}/commands", {
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
