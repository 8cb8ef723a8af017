import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { z } from "zod";
import { api, unwrap } from "@/lib/api/client";

/** The queue's items are the music module's own rows (the portal does not pin them): parse what we show. */
export const song = z.object({
  id: z.union([z.number(), z.string()]),
  title: z.string().catch("(untitled)"),
  requested_by: z.string().optional().catch(undefined),
  state: z.string().catch("queued"),
});
export type Song = z.infer<typeof song>;
type SongPage = { items: Song[] };

export const songsQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "songs"],
    queryFn: async (): Promise<SongPage> => {
      const page = await unwrap(api.GET("/portal/api/v1/communities/{community_id}/songs", { params: { path: { community_id: communityId }, query: { limit: 100 } } }));
      return { items: page.items.flatMap((raw) => { const parsed = song.safeParse(raw); return parsed.success ? [parsed.data] : []; }) };
    },
    refetchInterval: 10_000,
  });

export function useApprove(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: Song["id"]) =>
      unwrap(
        api.PATCH("/portal/api/v1/communities/{community_id}/songs/{key}", {
          params: { path: { community_id: communityId, key: Number(id) } },
          body: { state: "queued" },
        }),
      ),
    onSettled: () => client.invalidateQueries({ queryKey: songsQuery(communityId).queryKey }),
  });
}

/**
 * Skip with undo (react-admin's "undoable" mode): the song leaves the list at once, the DELETE
 * is sent only when the undo window closes, and Undo within it puts the song back, untouched.
 */
export function useUndoableSkip(communityId: number, windowMs = 8_000) {
  const client = useQueryClient();
  const key = songsQuery(communityId).queryKey;
  const timers = useRef(new Map<Song["id"], number>());
  const remove = useMutation({
    mutationFn: (id: Song["id"]) =>
      unwrap(api.DELETE("/portal/api/v1/communities/{community_id}/songs/{key}", { params: { path: { community_id: communityId, key: Number(id) } } })),
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  useEffect(
    () => () => {
      // Leaving the screen commits what is pending (the user did not undo).
      for (const [id, timer] of timers.current) {
        window.clearTimeout(timer);
        remove.mutate(id);
      }
      timers.current.clear();
    },
    [],
  );
  const skip = useCallback(
    (target: Song, onError: (error: unknown) => void) => {
      void client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<SongPage>(key);
      client.setQueryData<SongPage>(key, (page) => page && { items: page.items.filter((s) => s.id !== target.id) });
      const timer = window.setTimeout(() => {
        timers.current.delete(target.id);
        remove.mutate(target.id, {
          onError: (error) => {
            if (before) client.setQueryData(key, before);
            onError(error);
          },
        });
      }, windowMs);
      timers.current.set(target.id, timer);
      return () => {
        window.clearTimeout(timer);
        timers.current.delete(target.id);
        client.setQueryData<SongPage>(key, (page) => {
          if (!page || page.items.some((s) => s.id === target.id)) return page;
          const at = before?.items.findIndex((s) => s.id === target.id) ?? -1;
          const items = [...page.items];
          items.splice(at < 0 ? items.length : at, 0, target);
          return { items };
        });
      };
    },
    [client, key, remove, windowMs],
  );
  return { skip, windowMs };
}
