import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

test("send a message and read the bot's answer in the log", async () => {
  const sent: unknown[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("post", "/portal/api/v1/communities/{community_id}/simulate", ({ body }) => {
      sent.push(body);
      const base = { role: body.user.role ?? "everyone", invocation_id: "inv-1", pending: false, side_effects: [] };
      return body.text === "!cooldown"
        ? { ...base, status: "rate_limited", responses: [] }
        : { ...base, status: "answered", responses: [{ type: "chat", text: "Quote #1: waddle on" }, { type: "overlay", text: "confetti" }], side_effects: [{ type: "overlay", text: "confetti" }] };
    }),
  );
  renderApp("/c/2/simulator");
  const user = userEvent.setup();
  const role = await screen.findByLabelText("Role");
  // A moderator cannot play the broadcaster or an admin.
  expect(within(role).getAllByRole("option").map((o) => o.textContent)).toEqual(["everyone", "regular", "subscriber", "vip", "moderator"]);
  await user.selectOptions(role, "vip");
  await user.type(screen.getByLabelText("Message"), "!quote");
  await user.click(screen.getByRole("button", { name: "Send" }));
  const log = screen.getByRole("log");
  expect(await within(log).findByText("Quote #1: waddle on")).toBeInTheDocument();
  expect(within(log).getByText("Side effect: overlay — confetti")).toBeInTheDocument();
  expect(sent).toEqual([{ text: "!quote", user: { username: "viewer", role: "vip" } }]);
  expect(screen.getByLabelText("Message")).toHaveValue("");
  await user.type(screen.getByLabelText("Message"), "!cooldown{Enter}");
  expect(await within(log).findByText("(no answer: the command is on cooldown)")).toBeInTheDocument();
  await waitFor(() => expect(sent).toHaveLength(2));
});
