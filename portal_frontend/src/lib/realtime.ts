/**
 * The dashboard's live feed: `GET …/communities/{id}/events` is server-sent events (OpenAPI
 * cannot describe the stream), so each message is validated here at run time with zod.
 */
import { z } from "zod";
import type { ResponseOf } from "./api/types";

export const feedEvent = z.object({
  id: z.string(),
  kind: z.enum(["simulation", "change", "chat"]),
  community_id: z.number(),
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
}) satisfies z.ZodType<ResponseOf<"/portal/api/v1/communities/{community_id}/events">>;
export type FeedEvent = z.infer<typeof feedEvent>;

export const feedUrl = (communityId: number) => `/portal/api/v1/communities/${communityId}/events`;

/** Open the feed; each valid message goes to `onEvent`; returns the closer. */
export function subscribe(
  communityId: number,
  onEvent: (event: FeedEvent) => void,
  onState: (state: "live" | "reconnecting") => void,
): () => void {
  if (typeof EventSource === "undefined") return () => {};
  const source = new EventSource(feedUrl(communityId), { withCredentials: true });
  const handle = (message: MessageEvent<string>) => {
    try {
      const parsed = feedEvent.safeParse(JSON.parse(message.data));
      if (parsed.success) onEvent(parsed.data);
    } catch {
      // a line that is not JSON is not ours: skip it
    }
  };
  for (const kind of feedEvent.shape.kind.options) source.addEventListener(kind, handle);
  source.onopen = () => onState("live");
  source.onerror = () => onState("reconnecting"); // EventSource retries by itself
  return () => source.close();
}
