import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { me } from "@/test/fixtures";
import { errorResponse, on } from "@/test/msw";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { InventoryItem, ItemCreate, ItemUpdate } from "./api";

const PATH = "/portal/api/v1/communities/{community_id}/inventory" as const;

function item(overrides: Partial<InventoryItem> = {}): InventoryItem {
  return { id: 1, community_id: 1, name: "sword", qty: 2, description: null, created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z", ...overrides };
}

function backend(rows: InventoryItem[], caps = ["inventory:view", "inventory:manage"]) {
  const calls: { method: string; id?: string; body?: ItemCreate | ItemUpdate; force?: boolean }[] = [];
  const base = me();
  server.use(
    on("get", "/portal/api/v1/me", () => ({ ...base, communities: base.communities.map((c) => (c.id === 1 ? { ...c, capabilities: caps } : c)) })),
    on("get", PATH, () => ({ items: rows, next_cursor: null })),
    on("post", PATH, ({ body }) => {
      calls.push({ method: "post", body });
      const added = item({ id: 9, name: body.name, qty: body.qty ?? 1 });
      rows.push(added);
      return added;
    }),
    on("patch", `${PATH}/{key}`, ({ params, body }) => {
      calls.push({ method: "patch", id: params.key!, body });
      if (body.name === "shield") return errorResponse(409, "name_taken", "There is already an item called shield.", { name: "shield" });
      if (body.name === "bad") {
        return errorResponse(422, "validation_error", "the request is not valid", { errors: [{ loc: ["name"], msg: "Not that name.", type: "value_error" }] });
      }
      const i = rows.findIndex((r) => String(r.id) === params.key);
      rows[i] = { ...rows[i]!, ...body } as InventoryItem;
      return rows[i]!;
    }),
    on("delete", `${PATH}/{key}`, ({ params, request }) => {
      const force = new URL(request.url).searchParams.get("force") === "true";
      calls.push({ method: "delete", id: params.key!, ...(force ? { force } : {}) });
      if (params.key === "1" && !force) {
        return errorResponse(409, "item_held", "sword is held by @amy: check it in first, or delete with force.", {
          holders: [{ holder: "twitch:amy", holder_name: "amy", qty: 1, checked_out: true }],
        });
      }
      rows.splice(rows.findIndex((r) => String(r.id) === params.key), 1);
      return new Response(null, { status: 204 });
    }),
  );
  return calls;
}

describe("inventory", () => {
  test("rename and describe an item; a taken name and a 422 are shown", async () => {
    const calls = backend([item()]);
    renderApp("/c/1/inventory");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit sword" }));
    const form = screen.getByRole("form", { name: "Edit sword" });
    const name = within(form).getByLabelText("Name");
    await user.clear(name);
    await user.type(name, "shield");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("There is already an item called shield.");
    await user.clear(name);
    await user.type(name, "bad");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByText("Not that name.")).toBeInTheDocument();
    expect(name).toHaveAttribute("aria-invalid", "true");
    await user.clear(name);
    await user.type(name, "Great sword");
    await user.type(within(form).getByLabelText("Description"), "Sharp.");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("cell", { name: "Great sword" })).toBeInTheDocument();
    expect(calls.at(-1)).toEqual({ method: "patch", id: "1", body: { name: "Great sword", description: "Sharp." } });
  });

  test("an empty name is refused before anything is sent; adding sends name and quantity", async () => {
    const calls = backend([]);
    renderApp("/c/1/inventory");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Add an item" }));
    const form = screen.getByRole("form", { name: "Add an item" });
    await user.clear(within(form).getByLabelText("Quantity"));
    await user.type(within(form).getByLabelText("Quantity"), "0");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    expect(await within(form).findByText("Which item? Give it a name.")).toBeInTheDocument();
    expect(within(form).getByText(/whole number from 1/)).toBeInTheDocument();
    expect(calls).toEqual([]);
    await user.type(within(form).getByLabelText("Name"), "cup");
    await user.clear(within(form).getByLabelText("Quantity"));
    await user.type(within(form).getByLabelText("Quantity"), "3");
    await user.click(within(form).getByRole("button", { name: "Add" }));
    expect(await screen.findByRole("cell", { name: "cup" })).toBeInTheDocument();
    expect(calls).toEqual([{ method: "post", body: { name: "cup", qty: 3 } }]);
  });

  test("deleting a held item says who holds it; a free one goes", async () => {
    const calls = backend([item(), item({ id: 2, name: "cup" })]);
    renderApp("/c/1/inventory");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete sword" }));
    await user.click(screen.getByRole("button", { name: "Really delete sword" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("sword is held by @amy");
    expect(screen.getByRole("cell", { name: "sword" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Delete cup" }));
    await user.click(screen.getByRole("button", { name: "Really delete cup" }));
    await waitFor(() => expect(screen.queryByRole("cell", { name: "cup" })).toBeNull());
    expect(calls.map((c) => [c.method, c.id])).toEqual([["delete", "1"], ["delete", "2"]]);
  });

  test("a held item is deleted anyway only when asked, with force", async () => {
    const calls = backend([item()]);
    renderApp("/c/1/inventory");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete sword" }));
    await user.click(screen.getByRole("button", { name: "Really delete sword" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("held by @amy");
    await user.click(screen.getByRole("button", { name: "Delete sword anyway" }));
    await waitFor(() => expect(screen.queryByRole("cell", { name: "sword" })).toBeNull());
    expect(calls).toEqual([
      { method: "delete", id: "1" },
      { method: "delete", id: "1", force: true },
    ]);
  });

  test("without inventory:manage the screen is read-only", async () => {
    backend([item()], ["inventory:view"]);
    renderApp("/c/1/inventory");
    expect(await screen.findByRole("cell", { name: "sword" })).toBeInTheDocument();
    expect(screen.getByText(/Read-only/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Add an item|Edit|Delete/ })).toBeNull();
  });
});
