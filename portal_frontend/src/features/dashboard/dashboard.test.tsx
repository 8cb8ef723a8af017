import { act, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

/** A stand-in for the browser's EventSource (jsdom has none): the test pushes the server's lines. */
class FakeEventSource {
  static opened: FakeEventSource[] = [];
  listeners = new Map<string, ((e: MessageEvent<string>) => void)[]>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(kind: string, fn: (e: MessageEvent<string>) => void) {
    this.listeners.set(kind, [...(this.listeners.get(kind) ?? []), fn]);
  }
  close() {
    this.closed = true;
  }
  emit(kind: string, data: unknown) {
    for (const fn of this.listeners.get(kind) ?? []) fn(new MessageEvent(kind, { data: typeof data === "string" ? data : JSON.stringify(data) }));
  }
}

beforeEach(() => {
  FakeEventSource.opened = [];
  vi.stubGlobal("EventSource", FakeEventSource);
});
afterEach(() => vi.unstubAllGlobals());

test("linked platforms, and the feed shows events live, validated, filterable; a switch opens the other community's feed", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}", ({ params }) => ({
      ...me().communities.find((c) => String(c.id) === params.community_id)!,
    })),
  );
  renderApp("/c/1");
  expect(await screen.findByText("twitch")).toBeInTheDocument();
  expect(screen.getByText("1001")).toBeInTheDocument();
  expect(screen.getByText("No events yet.")).toBeInTheDocument();
  const source = FakeEventSource.opened.at(-1)!;
  expect(source.url).toBe("/portal/api/v1/communities/1/events");
  act(() => {
    source.onopen?.();
    source.emit("simulation", { id: "e1", kind: "simulation", community_id: 1, at: "2026-12-01T10:00:00Z", data: { text: "!quote", username: "ada", role: "vip", status: "answered", responses: [{}] } });
    source.emit("change", "not json");
    source.emit("change", { kind: "nope" });
    source.emit("change", { id: "e2", kind: "change", community_id: 1, at: "2026-12-01T10:01:00Z", data: { actor: "mod", action: "update", resource: "commands", resource_id: "quote" } });
  });
  act(() => {
    // a reconnect replays the recent entries: each is shown once
    source.emit("simulation", { id: "e1", kind: "simulation", community_id: 1, at: "2026-12-01T10:00:00Z", data: { text: "!quote", username: "ada", role: "vip", status: "answered", responses: [{}] } });
  });
  expect(screen.getByText(/ada \(vip\) in the simulator: “!quote” → answered, 1 answer$/)).toBeInTheDocument();
  expect(screen.getByText(/mod: update commands quote/)).toBeInTheDocument();
  expect(screen.getAllByRole("listitem").filter((li) => li.closest(".events"))).toHaveLength(2);
  expect(screen.getByText("Live")).toBeInTheDocument();
  const user = userEvent.setup();
  await user.click(screen.getByRole("checkbox", { name: "Simulator" }));
  expect(screen.queryByText(/in the simulator/)).not.toBeInTheDocument();
  await user.selectOptions(screen.getByLabelText("Community"), "2");
  expect(await screen.findByText("No platform is linked yet.")).toBeInTheDocument();
  expect(source.closed).toBe(true);
  expect(FakeEventSource.opened.at(-1)!.url).toBe("/portal/api/v1/communities/2/events");
});

test("live chat lines and the bot's answers show as text only, never markup", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}", ({ params }) => ({
      ...me().communities.find((c) => String(c.id) === params.community_id)!,
    })),
  );
  renderApp("/c/1");
  expect(await screen.findByText("twitch")).toBeInTheDocument();
  const source = FakeEventSource.opened.at(-1)!;
  const evil = `<img src=x onerror="window.__pwned=1">`;
  act(() => {
    source.onopen?.();
    source.emit("chat", {
      id: "c1", kind: "chat", community_id: 1, at: "2026-12-01T10:02:00Z",
      data: { platform: "twitch", channel: "streamer", username: "amy", text: `!quote add ${evil}`, command: "quote add",
              status: "processed", responses: [{ type: "chat", text: `Quote #1 added: ${evil}` }] },
    });
    source.emit("chat", {
      id: "c2", kind: "chat", community_id: 1, at: "2026-12-01T10:03:00Z",
      data: { platform: "discord", channel: "general", username: "bo<b>b</b>", text: "hello <script>alert(1)</script>", command: null, status: "ignored", responses: [] },
    });
  });
  const events = document.querySelector(".events")!;
  // The untrusted text is the element's textContent, exactly as said; no element was made from it.
  expect(screen.getByText(`!quote add ${evil}`)).toBeInTheDocument();
  expect(screen.getByText(`Quote #1 added: ${evil}`).closest(".feed-answer")?.textContent).toBe(`Bot: Quote #1 added: ${evil}`);
  expect(screen.getByText("hello <script>alert(1)</script>")).toBeInTheDocument();
  expect(screen.getByText("bo<b>b</b>")).toBeInTheDocument();
  expect(events.querySelector("img, script, b")).toBeNull();
  expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  expect(screen.getByText("!quote add")).toHaveClass("badge");
  expect(screen.getAllByRole("listitem").filter((li) => li.closest(".events"))).toHaveLength(2);
  const user = userEvent.setup();
  await user.click(screen.getByRole("checkbox", { name: "Chat" }));
  expect(screen.queryByText(`!quote add ${evil}`)).not.toBeInTheDocument();
});

test("the broadcaster gets a one-time link code for another platform; a moderator sees no button", async () => {
  let asked = 0;
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}", ({ params }) => ({
      ...me().communities.find((c) => String(c.id) === params.community_id)!,
    })),
    on("post", "/portal/api/v1/communities/{community_id}/connections/code", () => {
      asked += 1;
      return { code: `K7PQ${asked}X`, expires_in: 600, command: `!community link K7PQ${asked}X` };
    }),
  );
  renderApp("/c/1");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Link another platform" }));
  expect(await screen.findByText("!community link K7PQ1X")).toBeInTheDocument();
  expect(screen.getByText(/within 10 minutes/)).toBeInTheDocument();
  await user.click(screen.getByRole("button", { name: "Get a new link code" }));
  expect(await screen.findByText("!community link K7PQ2X")).toBeInTheDocument();
  expect(asked).toBe(2);
  await user.selectOptions(screen.getByLabelText("Community"), "2");
  expect(await screen.findByText("No platform is linked yet.")).toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Link another platform" })).toBeNull();
});
