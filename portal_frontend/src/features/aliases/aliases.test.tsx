import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { components } from "@/lib/api/schema";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

test("an alias written with ! is refused; without it, it is added", async () => {
  const posted: unknown[] = [];
  const removed: string[] = [];
  const items: components["schemas"]["AliasItem"][] = [{ name: "hello", text: "!so @me", role: "everyone", cooldown: null, uses: 3, command: "so" }];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/aliases", () => ({ items, next_cursor: null })),
    on("post", "/portal/api/v1/communities/{community_id}/aliases", ({ body }) => {
      posted.push(body);
      const added = { name: body.name, text: body.text, role: "everyone", cooldown: null, uses: 0, command: null };
      items.push(added);
      return added;
    }),
    on("delete", "/portal/api/v1/communities/{community_id}/aliases/{key}", ({ params }) => {
      removed.push(params.key!);
      items.splice(items.findIndex((i) => i.name === params.key), 1);
      return new Response(null, { status: 204 });
    }),
  );
  renderApp("/c/1/aliases");
  expect(await screen.findByRole("cell", { name: "!hello" })).toBeInTheDocument();
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Alias name"), "!hi");
  await user.type(screen.getByLabelText("Expands to"), "!so @me");
  await user.click(screen.getByRole("button", { name: "Add alias" }));
  expect(await screen.findByText("Write the name without “!” (e.g. “hi”, not “!hi”).")).toBeInTheDocument();
  expect(screen.getByLabelText("Alias name")).toHaveAttribute("aria-invalid", "true");
  expect(posted).toEqual([]);
  await user.clear(screen.getByLabelText("Alias name"));
  await user.type(screen.getByLabelText("Alias name"), "Hi");
  await user.click(screen.getByRole("button", { name: "Add alias" }));
  await waitFor(() => expect(posted).toEqual([{ name: "hi", text: "!so @me" }]));
  expect(await screen.findByRole("cell", { name: "!hi" })).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Remove !hello" }));
  await user.click(screen.getByRole("button", { name: "Really remove !hello" }));
  await waitFor(() => expect(screen.queryByRole("cell", { name: "!hello" })).toBeNull());
  expect(removed).toEqual(["hello"]);
});

test("without aliases:edit there is no form", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/aliases", () => ({ items: [], next_cursor: null })),
  );
  renderApp("/c/2/aliases");
  expect(await screen.findByText("No aliases yet.")).toBeInTheDocument();
  expect(screen.queryByLabelText("Alias name")).not.toBeInTheDocument();
  expect(screen.getByText(/Read-only: your role cannot change aliases here/)).toBeInTheDocument();
});
