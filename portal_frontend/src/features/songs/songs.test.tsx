import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse } from "msw";
import type { components } from "@/lib/api/schema";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

type Song = components["schemas"]["SongItem"];
const UNDO_SECONDS = 30;

function song(id: number, title: string, requested_by: string, state: Song["state"]): Song {
  return { id, song_id: `vid${id}`, title, channel: "Arctic Records", duration: 185, url: `https://youtu.be/vid${id}`, requested_by, state, created_at: "2026-12-01T10:00:00Z" };
}

/** The music module as the portal relays it: one playing song, skip and undo-skip as the server does them. */
function backend() {
  const songs: Song[] = [song(1, "Penguin Polka", "ada", "playing"), song(2, "Ice Ice Baby", "bob", "pending"), song(3, "Snow Day", "cat", "queued")];
  const calls: string[] = [];
  let lastSkipped: Song | undefined;
  const open = () => {
    const playing = songs.filter((s) => s.state === "playing");
    return [...playing, ...songs.filter((s) => s.state === "pending" || s.state === "queued")].map((s) => ({ ...s }));
  };
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/songs", () => ({ items: open(), next_cursor: null })),
    on("post", "/portal/api/v1/communities/{community_id}/songs/{key}/approve", ({ params }) => {
      const found = songs.find((s) => s.id === Number(params.key))!;
      found.state = "queued";
      calls.push(`approve ${found.id}`);
      return { ...found };
    }),
    on("post", "/portal/api/v1/communities/{community_id}/songs/skip", () => {
      const current = songs.find((s) => s.state === "playing")!;
      current.state = "skipped";
      lastSkipped = current;
      const next = songs.find((s) => s.state === "queued");
      if (next) next.state = "playing";
      calls.push(`skip ${current.id}`);
      return { items: open(), next_cursor: null, skipped: { ...current }, undo_seconds: UNDO_SECONDS };
    }),
    on("post", "/portal/api/v1/communities/{community_id}/songs/undo-skip", () => {
      const current = songs.find((s) => s.state === "playing");
      if (current) current.state = "queued";
      lastSkipped!.state = "playing";
      calls.push(`undo ${lastSkipped!.id}`);
      return { items: open(), next_cursor: null };
    }),
    on("delete", "/portal/api/v1/communities/{community_id}/songs/{key}", ({ params }) => {
      calls.push(`delete ${params.key}`);
      songs.find((s) => s.id === Number(params.key))!.state = "removed";
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return calls;
}

const nowPlaying = () => within(screen.getByRole("region", { name: "Now playing" }));

afterEach(() => vi.useRealTimers());

test("approve; skip plays the next song; Undo brings the skipped one back on the server", async () => {
  const calls = backend();
  renderApp("/c/1/songs");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Approve Ice Ice Baby" }));
  await waitFor(() => expect(calls).toEqual(["approve 2"]));

  await user.click(screen.getByRole("button", { name: "Skip Penguin Polka" }));
  expect(await nowPlaying().findByRole("button", { name: "Skip Ice Ice Baby" })).toBeInTheDocument();
  expect(screen.getByRole("status")).toHaveTextContent(`Skipped “Penguin Polka”. Undo within ${UNDO_SECONDS} s.`);
  await user.click(screen.getByRole("button", { name: "Undo" }));
  expect(await nowPlaying().findByRole("button", { name: "Skip Penguin Polka" })).toBeEnabled();
  expect(calls).toEqual(["approve 2", "skip 1", "undo 1"]);
  expect(await screen.findByText("“Penguin Polka” is playing again.")).toBeInTheDocument();
  const upNext = within(screen.getByRole("list", { name: "Up next" }));
  expect(upNext.getAllByRole("listitem").map((li) => li.querySelector(".song-title")?.textContent)).toEqual(["Ice Ice Baby", "Snow Day"]);
});

test("Undo is offered exactly as long as the server's undo window", async () => {
  const calls = backend();
  vi.useFakeTimers({ shouldAdvanceTime: true });
  renderApp("/c/1/songs");
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  await user.click(await screen.findByRole("button", { name: "Skip Penguin Polka" }));
  await screen.findByRole("button", { name: "Undo" });
  await act(() => vi.advanceTimersByTimeAsync((UNDO_SECONDS - 1) * 1000));
  expect(screen.getByRole("button", { name: "Undo" })).toBeInTheDocument();
  await act(() => vi.advanceTimersByTimeAsync(1500));
  expect(screen.queryByRole("button", { name: "Undo" })).not.toBeInTheDocument();
  expect(calls).toEqual(["skip 1"]);
});

test("remove then undo sends nothing; remove and wait deletes it", async () => {
  const calls = backend();
  vi.useFakeTimers({ shouldAdvanceTime: true });
  renderApp("/c/1/songs");
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  await user.click(await screen.findByRole("button", { name: "Remove Snow Day" }));
  expect(screen.queryByText("Snow Day")).not.toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Undo" }));
  expect(await screen.findByRole("button", { name: "Remove Snow Day" })).toBeEnabled();
  await act(() => vi.advanceTimersByTimeAsync(10_000));
  expect(calls).toEqual([]);
  await user.click(screen.getByRole("button", { name: "Remove Snow Day" }));
  await act(() => vi.advanceTimersByTimeAsync(8_100));
  await waitFor(() => expect(calls).toEqual(["delete 3"]));
  await waitFor(() => expect(screen.queryByText("Snow Day")).not.toBeInTheDocument());
});

test("a moderator without songs:manage sees the queue read-only", async () => {
  backend();
  renderApp("/c/2/songs");
  expect(await screen.findByRole("button", { name: "Skip Penguin Polka" })).toBeDisabled();
  expect(screen.getByRole("button", { name: "Approve Ice Ice Baby" })).toBeDisabled();
  expect(screen.getByRole("button", { name: "Remove Snow Day" })).toBeDisabled();
  expect(screen.getByText(/Read-only: your role cannot change the song queue here/)).toBeInTheDocument();
});

test("no music module enabled: says so and links to Modules", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/songs", () =>
      HttpResponse.json(
        { error: { code: "conflict", message: "no module for songs is enabled here", details: { reason: "not_enabled", services: ["youtube_music", "spotify"] }, request_id: "r1" } },
        { status: 409 },
      ),
    ),
  );
  renderApp("/c/1/songs");
  expect(await screen.findByText("Song requests are off in this community.")).toBeInTheDocument();
  expect(within(screen.getByRole("main")).getByRole("link", { name: "Modules" })).toHaveAttribute("href", "/c/1/modules");
});

test("an Undo the server refuses (its window closed) says why and leaves the queue as the server has it", async () => {
  const calls = backend();
  server.use(
    on("post", "/portal/api/v1/communities/{community_id}/songs/undo-skip", () =>
      HttpResponse.json(
        { error: { code: "conflict", message: "nothing was skipped in the last 30 seconds", details: { undo_seconds: 30 }, request_id: "r2" } },
        { status: 409 },
      ),
    ),
  );
  renderApp("/c/1/songs");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Skip Penguin Polka" }));
  await user.click(await screen.findByRole("button", { name: "Undo" }));
  expect(await screen.findByText(/Could not change the queue: nothing was skipped in the last 30 seconds/)).toBeInTheDocument();
  expect(nowPlaying().getByRole("button", { name: "Skip Snow Day" })).toBeInTheDocument(); // the pending one waits
  expect(calls).toEqual(["skip 1"]);
});
