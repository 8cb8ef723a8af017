import { queryOptions, useMutation, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useRef } from "react";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

/** A request of the community's music module (youtube_music or spotify, whichever is enabled). */
export type Song = components["schemas"]["SongItem"];
type SongPage = { items: Song[] };
type Queue = { items: Song[] };

const path = (communityId: number) => ({ params: { path: { community_id: communityId } } });

export const songsQuery = (communityId: number) =>
  queryOptions({
    queryKey: ["c", communityId, "songs"],
    queryFn: async (): Promise<SongPage> => {
      const page = await unwrap(api.GET("/portal/api/v1/communities/{community_id}/songs", { params: { path: { community_id: communityId }, query: { limit: 100 } } }));
      return { items: page.items };
    },
    refetchInterval: 10_000,
  });

export function useApprove(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/songs/{key}/approve", { params: { path: { community_id: communityId, key: id } } })),
    onSettled: () => client.invalidateQueries({ queryKey: songsQuery(communityId).queryKey }),
  });
}

/**
 * Skip the playing song on the server at once; the answer says what was skipped and how long
 * the server still takes `undo-skip` (`undo_seconds`), which is how long Undo is offered.
 */
export function useSkip(communityId: number) {
  const client = useQueryClient();
  const key = songsQuery(communityId).queryKey;
  const put = (queue: Queue) => client.setQueryData<SongPage>(key, { items: queue.items });
  const skip = useMutation({
    mutationFn: () => unwrap(api.POST("/portal/api/v1/communities/{community_id}/songs/skip", path(communityId))),
    onSuccess: put,
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  const undo = useMutation({
    mutationFn: () => unwrap(api.POST("/portal/api/v1/communities/{community_id}/songs/undo-skip", path(communityId))),
    onSuccess: put,
    onSettled: () => client.invalidateQueries({ queryKey: key }),
  });
  return { skip, undo };
}

/**
 * Remove a waiting request with undo (react-admin's "undoable" mode): it leaves the list at
 * once, the DELETE is sent when the undo window closes, and Undo within it puts it back.
 */
export function useUndoableRemove(communityId: number, windowMs = 8_000) {
  const client = useQueryClient();
  const key = songsQuery(communityId).queryKey;
  const timers = useRef(new Map<number, number>());
  const remove = useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/portal/api/v1/communities/{community_id}/songs/{key}", { params: { path: { community_id: communityId, key: id } } })),
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
  const removeLater = useCallback(
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
  return { removeLater, windowMs };
}
