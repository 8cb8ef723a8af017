import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse } from "msw";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

type Row = { id: number; title: string; requested_by: string; state: string };

function backend() {
  const songs: Row[] = [
    { id: 1, title: "Penguin Polka", requested_by: "ada", state: "playing" },
    { id: 2, title: "Ice Ice Baby", requested_by: "bob", state: "pending" },
  ];
  const calls: string[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/songs", () => ({ items: songs.map((s) => ({ ...s })), next_cursor: null })),
    on("patch", "/portal/api/v1/communities/{community_id}/songs/{key}", ({ params, body }) => {
      const song = songs.find((s) => s.id === Number(params.key))!;
      song.state = String(body.state);
      calls.push(`approve ${song.id}`);
      return { ...song };
    }),
    on("delete", "/portal/api/v1/communities/{community_id}/songs/{key}", ({ params }) => {
      calls.push(`delete ${params.key}`);
      songs.splice(songs.findIndex((s) => s.id === Number(params.key)), 1);
      return new HttpResponse(null, { status: 204 });
    }),
  );
  return calls;
}

afterEach(() => vi.useRealTimers());

test("approve; skip then undo sends nothing; skip and wait removes it", async () => {
  const calls = backend();
  vi.useFakeTimers({ shouldAdvanceTime: true });
  renderApp("/c/1/songs");
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  await user.click(await screen.findByRole("button", { name: "Approve Ice Ice Baby" }));
  await waitFor(() => expect(calls).toEqual(["approve 2"]));

  await user.click(screen.getByRole("button", { name: "Skip Penguin Polka" }));
  expect(screen.queryByRole("button", { name: "Skip Penguin Polka" })).not.toBeInTheDocument();
  expect(screen.getByRole("status")).toHaveTextContent("Skipped “Penguin Polka”.");
  await user.click(screen.getByRole("button", { name: "Undo" }));
  expect(await screen.findByRole("button", { name: "Skip Penguin Polka" })).toBeEnabled();
  await act(() => vi.advanceTimersByTimeAsync(10_000));
  expect(calls).toEqual(["approve 2"]); // undone: the server never heard of it

  await user.click(screen.getByRole("button", { name: "Skip Penguin Polka" }));
  await act(() => vi.advanceTimersByTimeAsync(8_100));
  await waitFor(() => expect(calls).toEqual(["approve 2", "delete 1"]));
  await waitFor(() => expect(screen.queryByText("Penguin Polka")).not.toBeInTheDocument());
  expect(screen.getByRole("button", { name: "Skip Ice Ice Baby" })).toBeInTheDocument();
});

test("a moderator without songs:manage sees the queue read-only", async () => {
  backend();
  renderApp("/c/2/songs");
  expect(await screen.findByRole("button", { name: "Skip Penguin Polka" })).toBeDisabled();
  expect(screen.getByRole("button", { name: "Approve Ice Ice Baby" })).toBeDisabled();
  expect(screen.getByText(/Read-only: your role cannot change the song queue here/)).toBeInTheDocument();
});
