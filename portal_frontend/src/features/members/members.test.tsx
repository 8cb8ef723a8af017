import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { me } from "@/test/fixtures";
import { errorResponse, on } from "@/test/msw";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { Member, MemberUpdate } from "./api";

const PATH = "/portal/api/v1/communities/{community_id}/members" as const;

function member(overrides: Partial<Member> = {}): Member {
  return { id: 2, community_id: 1, platform: "twitch", platform_user_id: "77", username: "amy", role: "everyone", platform_role: "everyone", role_override: null, last_seen: null, ...overrides };
}

function backend(rows: Member[], caps = ["members:view", "members:manage"]) {
  const calls: { method: string; id: string; body?: MemberUpdate }[] = [];
  const base = me();
  server.use(
    on("get", "/portal/api/v1/me", () => ({ ...base, communities: base.communities.map((c) => (c.id === 1 ? { ...c, capabilities: caps } : c)) })),
    on("get", PATH, () => ({ items: rows, next_cursor: null })),
    on("patch", `${PATH}/{key}`, ({ params, body }) => {
      calls.push({ method: "patch", id: params.key!, body });
      if (params.key === "3") return errorResponse(409, "broadcaster_role", "the broadcaster's role comes from the platform and cannot be changed");
      const i = rows.findIndex((r) => String(r.id) === params.key);
      rows[i] = { ...rows[i]!, role: body.role ?? rows[i]!.platform_role, role_override: body.role };
      return rows[i]!;
    }),
    on("delete", `${PATH}/{key}`, ({ params }) => {
      calls.push({ method: "delete", id: params.key! });
      rows.splice(rows.findIndex((r) => String(r.id) === params.key), 1);
      return new Response(null, { status: 204 });
    }),
  );
  return calls;
}

describe("members", () => {
  test("the broadcaster gives a viewer a role, then follows the platform again", async () => {
    const calls = backend([member({ id: 1, username: "streamer", role: "broadcaster", platform_role: "broadcaster" }), member()]);
    renderApp("/c/1/members");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Change role of amy" }));
    const form = screen.getByRole("form", { name: "Role of amy" });
    await user.selectOptions(within(form).getByLabelText("Role in this community"), "moderator");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    const row = (await screen.findByRole("cell", { name: "amy" })).closest("tr")!;
    await waitFor(() => expect(within(row).getAllByRole("cell")[2]).toHaveTextContent("moderator"));
    await user.click(screen.getByRole("button", { name: "Change role of amy" }));
    const again = screen.getByRole("form", { name: "Role of amy" });
    expect(within(again).getByLabelText("Role in this community")).toHaveValue("moderator");
    await user.selectOptions(within(again).getByLabelText("Role in this community"), "Follow the platform (everyone)");
    await user.click(within(again).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls).toHaveLength(2));
    expect(calls).toEqual([
      { method: "patch", id: "2", body: { role: "moderator" } },
      { method: "patch", id: "2", body: { role: null } },
    ]);
    expect(screen.queryByRole("button", { name: "Change role of streamer" })).toBeNull(); // the broadcaster's stays
  });

  test("a refusal from the server is shown in the form", async () => {
    backend([member({ id: 3, username: "owner2" })]);
    renderApp("/c/1/members");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Change role of owner2" }));
    const form = screen.getByRole("form", { name: "Role of owner2" });
    await user.selectOptions(within(form).getByLabelText("Role in this community"), "vip");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("cannot be changed");
  });

  test("remove asks once more", async () => {
    const calls = backend([member()]);
    renderApp("/c/1/members");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Remove amy" }));
    await user.click(screen.getByRole("button", { name: "Really remove amy" }));
    await waitFor(() => expect(calls).toEqual([{ method: "delete", id: "2" }]));
    expect(await screen.findByText("No members seen yet.")).toBeInTheDocument();
  });

  test("a moderator sees the members read-only", async () => {
    backend([member()], ["members:view"]);
    renderApp("/c/1/members");
    expect(await screen.findByRole("cell", { name: "amy" })).toBeInTheDocument();
    expect(screen.getByText(/Read-only/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Change role|Remove/ })).toBeNull();
  });
});
