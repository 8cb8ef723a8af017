import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { songsQuery, useSetSongState } from "./api";

export function SongsPage({ communityId }: { communityId: number }) {
  const query = useQuery(songsQuery(communityId));
  const canManage = useCan(communityId, "songs:manage");
  const setState = useSetSongState(communityId);
  const toast = useToast();
  const onError = (error: unknown) => toast.show(`Could not change the queue: ${errorMessage(error)}`);

  const skip = (id: number, title: string) =>
    setState.mutate(
      { id, state: "skipped" },
      {
        onSuccess: () => toast.show(`Skipped “${title}”.`, { label: "Undo", run: () => setState.mutate({ id, state: "queued" }, { onError }) }, 10_000),
        onError,
      },
    );

  return (
    <Page title="Song queue">
      {!canManage ? <ReadOnlyNote what="the song queue" /> : null}
      <QueryState
        query={query}
        isEmpty={(d) => d.items.every((s) => s.state === "skipped" || s.state === "played")}
        empty={<Empty title="The queue is empty.">Viewers request songs with !sr &lt;title or link&gt; once a music module is enabled.</Empty>}
      >
        {(d) => (
          <ol className="queue">
            {d.items
              .filter((s) => s.state !== "skipped" && s.state !== "played")
              .map((s) => (
                <li key={s.id} className={`song song-${s.state}`}>
                  <span className="song-title">{s.title}</span>
                  <span className="song-by">requested by {s.requested_by}</span>
                  <span className="badge">{s.state === "pending" ? "awaiting approval" : s.state}</span>
                  <span className="buttons">
                    {s.state === "pending" ? (
                      <button type="button" disabled={!canManage} onClick={() => setState.mutate({ id: s.id, state: "queued" }, { onError })}>
                        Approve <span className="sr-only">{s.title}</span>
                      </button>
                    ) : null}
                    <button type="button" disabled={!canManage} onClick={() => skip(s.id, s.title)}>
                      Skip <span className="sr-only">{s.title}</span>
                    </button>
                  </span>
                </li>
              ))}
          </ol>
        )}
      </QueryState>
    </Page>
  );
}
