import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { Song } from "./api";

function backend() {
  const songs: Song[] = [
    { id: 1, title: "Penguin Polka", requested_by: "ada", url: null, state: "playing" },
    { id: 2, title: "Ice Ice Baby", requested_by: "bob", url: null, state: "pending" },
  ];
  const changes: [number, string][] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/songs", () => ({ items: songs.map((s) => ({ ...s })), next_cursor: null })),
    on("patch", "/portal/api/v1/communities/{community_id}/songs/{song_id}", ({ params, body }) => {
      const song = songs.find((s) => s.id === Number(params.song_id))!;
      song.state = body.state;
      changes.push([song.id, body.state]);
      return { ...song };
    }),
  );
  return changes;
}

test("approve, skip, and undo the skip", async () => {
  const changes = backend();
  renderApp("/c/1/songs");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Approve Ice Ice Baby" }));
  await waitFor(() => expect(changes).toEqual([[2, "queued"]]));
  await user.click(screen.getByRole("button", { name: "Skip Penguin Polka" }));
  await waitFor(() => expect(screen.queryByRole("button", { name: "Skip Penguin Polka" })).not.toBeInTheDocument());
  expect(screen.getByRole("status")).toHaveTextContent("Skipped “Penguin Polka”.");
  await user.click(await screen.findByRole("button", { name: "Undo" }));
  expect(await screen.findByRole("button", { name: "Skip Penguin Polka" })).toBeEnabled();
  expect(changes).toEqual([
    [2, "queued"],
    [1, "skipped"],
    [1, "queued"],
  ]);
});

test("a moderator without songs:manage sees the queue read-only", async () => {
  backend();
  renderApp("/c/2/songs");
  expect(await screen.findByRole("button", { name: "Skip Penguin Polka" })).toBeDisabled();
  expect(screen.getByRole("button", { name: "Approve Ice Ice Baby" })).toBeDisabled();
});
