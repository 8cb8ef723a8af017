import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { BodyOf, ResponseOf } from "@/lib/api/types";

type Simulate = "/portal/api/v1/communities/{community_id}/simulate";
export type SimulateIn = BodyOf<Simulate, "post">;
export type SimulateOut = ResponseOf<Simulate, "post">;

export function useSimulate(communityId: number) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SimulateIn) =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/simulate", { params: { path: { community_id: communityId } }, body })),
    // Side effects (points, queue, events) change what other screens show.
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId], predicate: (q) => q.queryKey[2] !== "commands" }),
  });
}
