import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

function backend() {
  const modules = [
    { name: "memories", version: "0.1.0", description: "Quotes, bookmarks, reminders", enabled: true, commands: ["quote"] },
    { name: "shoutout", version: "0.1.0", description: "Shout-outs", enabled: false, commands: ["so"] },
  ];
  const puts: unknown[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/modules", () => ({ items: modules.map((m) => ({ ...m })), next_cursor: null })),
    on("put", "/portal/api/v1/communities/{community_id}/modules/{key}", ({ params, body }) => {
      puts.push([params.key, body]);
      modules.find((m) => m.name === params.key)!.enabled = body.enabled;
      return { community_id: Number(params.community_id), module: params.key!, enabled: body.enabled };
    }),
  );
  return puts;
}

test("enable a module; the list refetches", async () => {
  const puts = backend();
  renderApp("/c/1/modules");
  const shoutout = await screen.findByRole("checkbox", { name: "Enabled shoutout" });
  expect(shoutout).not.toBeChecked();
  await userEvent.setup().click(shoutout);
  await waitFor(() => expect(puts).toEqual([["shoutout", { enabled: true }]]));
  await waitFor(() => expect(screen.getByRole("checkbox", { name: "Enabled shoutout" })).toBeChecked());
  expect(screen.getByText("Version 0.1.0 · commands: !so")).toBeInTheDocument();
});

test("without modules:manage the switches are read-only", async () => {
  backend();
  renderApp("/c/2/modules");
  expect(await screen.findByRole("checkbox", { name: "Enabled memories" })).toBeDisabled();
});
