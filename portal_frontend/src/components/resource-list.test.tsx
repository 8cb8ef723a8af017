import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { errorResponse, on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const quote = (number: number, text: string) => ({
  number,
  text,
  author: "ada",
  game: null,
  created_at: "2026-12-01T10:00:00Z",
  created_by: { platform: "twitch", user_id: "7", username: "ada" },
});

test("lists: loading, error with Retry, rows, Load more, empty search", async () => {
  let fail = true;
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/quotes", ({ url }) => {
      if (fail) return errorResponse(503, "dependency_unavailable", "memories is starting");
      if (url.searchParams.get("q")) return { items: [], next_cursor: null };
      if (url.searchParams.get("cursor") === "p2") return { items: [quote(2, "second")], next_cursor: null };
      return { items: [quote(1, "first")], next_cursor: "p2" };
    }),
  );
  renderApp("/c/1/quotes");
  expect(await screen.findByRole("heading", { level: 1, name: "Quotes" })).toBeInTheDocument();
  expect(await screen.findByRole("alert")).toHaveTextContent("This part of WaddleBot is not running here yet.memories is starting");
  fail = false;
  const user = userEvent.setup();
  await user.click(screen.getByRole("button", { name: "Retry" }));
  expect(await screen.findByRole("cell", { name: "first" })).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Load more" }));
  expect(await screen.findByRole("cell", { name: "second" })).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
  await user.type(screen.getByLabelText("Search quotes"), "zebra");
  expect(await screen.findByText("Nothing matches “zebra”.")).toBeInTheDocument();
  expect(document.title).toBe("Quotes · WaddleBot");
});
