import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { me } from "@/test/fixtures";
import { errorResponse, on } from "@/test/msw";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { CalendarEvent, EventCreate, EventUpdate } from "./api";

const PATH = "/portal/api/v1/communities/{community_id}/calendar" as const;

function event(overrides: Partial<CalendarEvent> = {}): CalendarEvent {
  return {
    id: 1, community_id: 1, title: "Game night", starts_at: "2027-01-11T02:00:00Z", next_start: "2027-01-11T02:00:00Z",
    tz: "America/New_York", max_seats: 4, rrule: null, status: "scheduled", going: 2, waiting: 0,
    created_at: "2026-12-01T10:00:00Z", updated_at: "2026-12-01T10:00:00Z", ...overrides,
  };
}

function backend(rows: CalendarEvent[], caps = ["calendar:view", "calendar:manage"]) {
  const calls: { method: string; id?: string; body?: EventCreate | EventUpdate }[] = [];
  const base = me();
  server.use(
    on("get", "/portal/api/v1/me", () => ({ ...base, communities: base.communities.map((c) => (c.id === 1 ? { ...c, capabilities: caps } : c)) })),
    on("get", PATH, () => ({ items: rows, next_cursor: null })),
    on("post", PATH, ({ body }) => {
      calls.push({ method: "post", body });
      if (body.starts_at.startsWith("2020")) {
        return errorResponse(422, "validation_error", "That time has passed.", { errors: [{ loc: ["starts_at"], msg: "That time has passed.", type: "value_error" }] });
      }
      const created = event({ id: 2, title: body.title, max_seats: body.max_seats ?? null });
      rows.push(created);
      return created;
    }),
    on("patch", `${PATH}/{key}`, ({ params, body }) => {
      calls.push({ method: "patch", id: params.key!, body });
      if (body.max_seats === 1) return errorResponse(409, "seats_taken", "2 people are going: the event needs at least 2 seats.", { going: 2, max_seats: 1 });
      const i = rows.findIndex((r) => String(r.id) === params.key);
      rows[i] = { ...rows[i]!, ...(body.title ? { title: body.title } : {}) };
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

describe("calendar", () => {
  test("a moderator creates an event; the server's 422 shows on its field", async () => {
    const calls = backend([]);
    renderApp("/c/1/calendar");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New event" }));
    const form = screen.getByRole("form", { name: "New event" });
    await user.type(within(form).getByLabelText("Title"), "Quiz");
    await user.type(within(form).getByLabelText("Starts"), "2020-01-01T10:00");
    await user.click(within(form).getByRole("button", { name: "Create event" }));
    expect(await within(form).findByText("That time has passed.")).toBeInTheDocument();
    expect(within(form).getByLabelText("Starts")).toHaveAttribute("aria-invalid", "true");
    await user.clear(within(form).getByLabelText("Starts"));
    await user.type(within(form).getByLabelText("Starts"), "2027-03-01T20:00");
    await user.type(within(form).getByLabelText("Seats"), "10");
    await user.click(within(form).getByRole("button", { name: "Create event" }));
    expect(await screen.findByRole("cell", { name: "Quiz" })).toBeInTheDocument();
    expect(calls.at(-1)).toEqual({ method: "post", body: { title: "Quiz", starts_at: "2027-03-01T20:00", max_seats: 10 } });
  });

  test("bad seats and a half-named chat are refused before anything is sent", async () => {
    const calls = backend([]);
    renderApp("/c/1/calendar");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "New event" }));
    const form = screen.getByRole("form", { name: "New event" });
    await user.type(within(form).getByLabelText("Title"), "Quiz");
    await user.type(within(form).getByLabelText("Starts"), "2027-03-01T20:00");
    await user.type(within(form).getByLabelText("Seats"), "0");
    await user.selectOptions(within(form).getByLabelText("Platform"), "twitch");
    await user.click(within(form).getByRole("button", { name: "Create event" }));
    expect(await within(form).findByText(/Enter a whole number of seats/)).toBeInTheDocument();
    await user.clear(within(form).getByLabelText("Seats"));
    await user.click(within(form).getByRole("button", { name: "Create event" }));
    expect(await within(form).findByText(/platform, server and channel together/)).toBeInTheDocument();
    expect(within(form).getByLabelText("Channel id")).toHaveAttribute("aria-invalid", "true");
    expect(calls).toEqual([]);
  });

  test("editing sends only what changed, and a 409 is shown", async () => {
    const calls = backend([event()]);
    renderApp("/c/1/calendar");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Edit Game night" }));
    const form = screen.getByRole("form", { name: "Edit Game night" });
    expect(within(form).getByLabelText("Starts")).toHaveValue("2027-01-10T21:00"); // in the event's zone
    await user.clear(within(form).getByLabelText("Seats"));
    await user.type(within(form).getByLabelText("Seats"), "1");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent("2 people are going");
    await user.clear(within(form).getByLabelText("Seats"));
    await user.clear(within(form).getByLabelText("Title"));
    await user.type(within(form).getByLabelText("Title"), "Movie night");
    await user.click(within(form).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("cell", { name: "Movie night" })).toBeInTheDocument();
    expect(calls.at(-1)).toEqual({ method: "patch", id: "1", body: { title: "Movie night", max_seats: null } });
  });

  test("delete asks once more, then removes the row", async () => {
    const calls = backend([event()]);
    renderApp("/c/1/calendar");
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete Game night" }));
    await user.click(screen.getByRole("button", { name: "Really delete Game night" }));
    await waitFor(() => expect(calls).toEqual([{ method: "delete", id: "1" }]));
    expect(await screen.findByText("No events on the calendar.")).toBeInTheDocument();
  });

  test("without calendar:manage the screen is read-only", async () => {
    backend([event()], ["calendar:view"]);
    renderApp("/c/1/calendar");
    expect(await screen.findByRole("cell", { name: "Game night" })).toBeInTheDocument();
    expect(screen.getByText(/Read-only/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New event" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Edit|Delete/ })).toBeNull();
  });
});
