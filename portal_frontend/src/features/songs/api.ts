import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export type Song = components["schemas"]["Song"];
type SongList = components["schemas"]["SongList"];

export const songsQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "songs"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/songs", { params: { path: { community_id: communityId } } })),
    refetchInterval: 10_000,
  });

/** Approve (`queued`), skip (`skipped`) or undo a skip (`queued` again): the change shows at once, rolls back on error. */
export function useSetSongState(communityId: number) {
  const client = useQueryClient();
  const key = songsQuery(communityId).queryKey;
  return useMutation({
    mutationFn: ({ id, state }: { id: number; state: "queued" | "skipped" }) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/songs/{song_id}", {
          params: { path: { community_id: communityId, song_id: id } },
          body: { state },
        }),
      ),
    onMutate: async ({ id, state }) => {
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<SongList>(key);
      client.setQueryData<SongList>(key, (list) => list && { ...list, items: list.items.map((s) => (s.id === id ? { ...s, state } : s)) });
      return { before };
    },
    onError: (_error, _vars, context) => {
      if (context?.before) client.setQueryData(key, context.before);
    },
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
}
