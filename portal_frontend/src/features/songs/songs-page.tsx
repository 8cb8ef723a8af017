import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { ApiError, errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { type Song, songsQuery, useApprove, useSkip, useUndoableRemove } from "./api";

const length = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;

/** 409 `not_enabled`: neither youtube_music nor spotify is on in this community. */
const notEnabled = (error: unknown) =>
  error instanceof ApiError && error.status === 409 && (error.details as { reason?: string } | null)?.reason === "not_enabled";

function SongLine({ song, children }: { song: Song; children?: ReactNode }) {
  return (
    <>
      <span className="song-text">
        <a className="song-title" href={song.url} target="_blank" rel="noreferrer noopener">
          {song.title}
        </a>
        <span className="song-by">
          {length(song.duration)} · {song.channel ? `${song.channel} · ` : ""}requested by {song.requested_by || "someone"}
        </span>
      </span>
      {children}
    </>
  );
}

export function SongsPage({ communityId }: { communityId: number }) {
  const query = useQuery(songsQuery(communityId));
  const canManage = useCan(communityId, "songs:manage");
  const approve = useApprove(communityId);
  const { skip, undo } = useSkip(communityId);
  const { removeLater, windowMs } = useUndoableRemove(communityId);
  const toast = useToast();
  const onError = (error: unknown) => toast.show(`Could not change the queue: ${errorMessage(error)}`);

  const skipNow = () =>
    skip.mutate(undefined, {
      onError,
      onSuccess: (answer) => {
        const title = answer.skipped?.title ?? "the song";
        const seconds = answer.undo_seconds;
        const back = () =>
          undo.mutate(undefined, { onError, onSuccess: () => toast.show(`“${title}” is playing again.`) });
        toast.show(`Skipped “${title}”. Undo within ${seconds}\u00a0s.`, { label: "Undo", run: back }, seconds * 1000);
      },
    });

  if (notEnabled(query.error)) {
    return (
      <Page title="Song queue">
        <Empty title="Song requests are off in this community.">
          Enable YouTube Music or Spotify on the{" "}
          <Link to="/c/$communityId/modules" params={{ communityId: String(communityId) }}>
            Modules
          </Link>{" "}
          screen; viewers then request songs with !sr &lt;title or link&gt;.
        </Empty>
      </Page>
    );
  }

  return (
    <Page title="Song queue">
      {!canManage ? <ReadOnlyNote what="the song queue" /> : null}
      <QueryState
        query={query}
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="The queue is empty.">Viewers request songs in chat with !sr &lt;title or link&gt;; requests show here.</Empty>}
      >
        {(d) => {
          const playing = d.items.find((s) => s.state === "playing");
          const waiting = d.items.filter((s) => s.state === "pending" || s.state === "queued");
          return (
            <>
              <section className="card now-playing" aria-labelledby="now-playing">
                <h2 id="now-playing">Now playing</h2>
                {playing ? (
                  <div className="song">
                    <SongLine song={playing}>
                      <span className="buttons">
                        <button type="button" disabled={!canManage || skip.isPending} onClick={skipNow}>
                          Skip <span className="sr-only">{playing.title}</span>
                        </button>
                      </span>
                    </SongLine>
                  </div>
                ) : (
                  <p className="note">Nothing is playing; the next request starts on its own.</p>
                )}
              </section>
              <h2 id="up-next">Up next</h2>
              {waiting.length === 0 ? (
                <p className="note">No more requests waiting.</p>
              ) : (
                <ol className="queue" aria-labelledby="up-next">
                  {waiting.map((s) => (
                    <li key={s.id} className={`song song-${s.state}`}>
                      <SongLine song={s}>
                        {s.state === "pending" ? <span className="badge">awaiting approval</span> : null}
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
                              const back = removeLater(s, onError);
                              toast.show(`Removed “${s.title}”.`, { label: "Undo", run: back }, windowMs);
                            }}
                          >
                            Remove <span className="sr-only">{s.title}</span>
                          </button>
                        </span>
                      </SongLine>
                    </li>
                  ))}
                </ol>
              )}
            </>
          );
        }}
      </QueryState>
    </Page>
  );
}
