import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { errorResponse, on } from "@/test/msw";
import { command, me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { Command, CommandPatch } from "./api";

function backend(byCommunity: Record<string, Command[]>) {
  const patches: { community: string; path: string; body: CommandPatch }[] = [];
  const reads: string[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/commands", ({ params }) => {
      reads.push(params.community_id!);
      return { items: byCommunity[params.community_id!] ?? [], next_cursor: null };
    }),
    on("patch", "/portal/api/v1/communities/{community_id}/commands/{key}", ({ params, body }) => {
      patches.push({ community: params.community_id!, path: params.key!, body });
      const list = byCommunity[params.community_id!]!;
      const i = list.findIndex((c) => c.path === params.key);
      list[i] = { ...list[i]!, ...(body as Partial<Command>) };
      const defaults = { role: null, user_cooldown: null, global_cooldown: null, cost: null, enabled: null, cooldown_message: null };
      return { ...defaults, ...body, community_id: Number(params.community_id), path: params.key!, module: list[i]!.module };
    }),
  );
  return { patches, reads };
}

describe("commands", () => {
  test("a cooldown of 0 survives a save (twir#954)", async () => {
    const { patches } = backend({ "1": [command({ path: "quote", user_cooldown: 30 }), command({ path: "so", module: "shoutout" })] });
    renderApp("/c/1/commands");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit !quote" }));
    const form = screen.getByRole("form", { name: "Edit !quote" });
    const field = within(form).getByLabelText("User cooldown (seconds)");
    expect(field).toHaveValue("30");
    await user.clear(field);
    await user.type(field, "0");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(patches).toHaveLength(1));
    expect(patches[0]).toEqual({
      community: "1",
      path: "quote",
      body: { role: "everyone", user_cooldown: 0, global_cooldown: null, cost: 0, enabled: true },
    });
    const row = (await screen.findByRole("rowheader", { name: "!quote" })).closest("tr")!;
    await waitFor(() => expect(within(row).getAllByRole("cell")[2]).toHaveTextContent("none"));
    await user.click(screen.getByRole("button", { name: "Edit !quote" }));
    expect(within(screen.getByRole("form", { name: "Edit !quote" })).getByLabelText("User cooldown (seconds)")).toHaveValue("0");
  });

  test("bad numbers are refused before anything is sent", async () => {
    const { patches } = backend({ "1": [command()] });
    renderApp("/c/1/commands");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit !quote" }));
    const form = screen.getByRole("form", { name: "Edit !quote" });
    await user.clear(within(form).getByLabelText("Cost (points)"));
    await user.type(within(form).getByLabelText("Cost (points)"), "-5");
    await user.type(within(form).getByLabelText("Global cooldown (seconds)"), "abc");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("Enter a whole number of points, 0 or more.")).toBeInTheDocument();
    expect(within(form).getByText(/Enter seconds from 0 to 86400/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Cost (points)")).toHaveAttribute("aria-invalid", "true");
    expect(patches).toEqual([]);
  });

  test("search and sort live in the URL", async () => {
    backend({ "1": [command({ path: "quote", cost: 5 }), command({ path: "so", module: "shoutout", cost: 1 }), command({ path: "sr", module: "youtube_music", cost: 10, aliases: ["songrequest"] })] });
    const { history } = renderApp("/c/1/commands?sort=cost&dir=desc");
    const names = async () => (await screen.findAllByRole("rowheader")).map((h) => h.textContent);
    await waitFor(async () => expect(await names()).toEqual(["!sr (!songrequest)", "!quote", "!so"]));
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Search commands"), "!song");
    await waitFor(() => expect(new URLSearchParams(history.location.search).get("q")).toBe("!song"));
    expect(await names()).toEqual(["!sr (!songrequest)"]);
    await user.clear(screen.getByLabelText("Search commands"));
    await user.type(screen.getByLabelText("Search commands"), "zzz");
    expect(await screen.findByText("No command matches “zzz”.")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Sort by"), "path");
    expect(new URLSearchParams(history.location.search).get("sort")).toBe("path");
  });

  test("switching community refetches and never shows the other community's rows", async () => {
    const { reads } = backend({ "1": [command({ path: "quote" })], "2": [command({ path: "lurk", module: "shoutout" })] });
    renderApp("/c/1/commands");
    expect(await screen.findByRole("rowheader", { name: "!quote" })).toBeInTheDocument();
    await userEvent.setup().selectOptions(screen.getByLabelText("Community"), "2");
    expect(await screen.findByRole("rowheader", { name: "!lurk" })).toBeInTheDocument();
    expect(screen.queryByRole("rowheader", { name: "!quote" })).not.toBeInTheDocument();
    expect(reads).toEqual(["1", "2"]);
  });

  test("a command whose module is off here says so (the marketplace lists every catalogue command)", async () => {
    backend({ "1": [command({ path: "quote" }), command({ path: "so", module: "shoutout", available: false })] });
    renderApp("/c/1/commands");
    const row = (await screen.findByRole("rowheader", { name: "!so" })).closest("tr")!;
    expect(within(row).getAllByRole("cell")[5]).toHaveTextContent("no (module off)");
    const quote = screen.getByRole("rowheader", { name: "!quote" }).closest("tr")!;
    expect(within(quote).getAllByRole("cell")[5]).toHaveTextContent("yes");
  });

  test("without commands:edit the table is read-only", async () => {
    backend({ "2": [command()] });
    renderApp("/c/2/commands");
    expect(await screen.findByRole("button", { name: "Edit !quote" })).toBeDisabled();
    expect(screen.getByText(/Read-only: your role cannot change commands here/)).toBeInTheDocument();
  });

  test("a validation error from the server lands on its field", async () => {
    backend({ "1": [command()] });
    server.use(
      on("patch", "/portal/api/v1/communities/{community_id}/commands/{key}", () =>
        errorResponse(422, "validation_error", "the request is not valid", [{ loc: ["body", "cost"], msg: "must be at most 1000000" }]),
      ),
    );
    renderApp("/c/1/commands");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit !quote" }));
    const form = screen.getByRole("form", { name: "Edit !quote" });
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("must be at most 1000000")).toBeInTheDocument();
  });
});
