import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { songsQuery, useApprove, useUndoableSkip } from "./api";

export function SongsPage({ communityId }: { communityId: number }) {
  const query = useQuery(songsQuery(communityId));
  const canManage = useCan(communityId, "songs:manage");
  const approve = useApprove(communityId);
  const { skip, windowMs } = useUndoableSkip(communityId);
  const toast = useToast();
  const onError = (error: unknown) => toast.show(`Could not change the queue: ${errorMessage(error)}`);

  return (
    <Page title="Song queue">
      {!canManage ? <ReadOnlyNote what="the song queue" /> : null}
      <QueryState
        query={query}
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="The queue is empty.">Viewers request songs with !sr &lt;title or link&gt; once a music module is enabled.</Empty>}
      >
        {(d) => (
          <ol className="queue">
            {d.items.map((s) => (
              <li key={s.id} className={`song song-${s.state}`}>
                <span className="song-title">{s.title}</span>
                {s.requested_by ? <span className="song-by">requested by {s.requested_by}</span> : null}
                <span className="badge">{s.state === "pending" ? "awaiting approval" : s.state}</span>
                <span className="buttons">
                  {s.state === "pending" ? (
                    <button type="button" disabled={!canManage} onClick={() => approve.mutate(s.id, { onError })}>
                      Approve <span className="sr-only">{s.title}</span>
                    </button>
                  ) : null}
                  <button
                    type="button"
                    disabled={!canManage}
                    onClick={() => {
                      const undo = skip(s, onError);
                      toast.show(`Skipped “${s.title}”.`, { label: "Undo", run: undo }, windowMs);
                    }}
                  >
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
