import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { errorResponse, on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import type { Module, ModuleChange } from "./api";

const SHOUTOUT_SCHEMA = {
  type: "object",
  properties: {
    live_template: { type: "string", title: "Message when they are live", minLength: 1, maxLength: 400, description: "Filled in once: $(user), $(url)." },
    auto_raid: { type: "boolean", title: "Shout out raiders" },
    cooldown: { type: "number", title: "Seconds between shoutouts of one channel", minimum: 0, maximum: 86400 },
    provider: { enum: ["ollama", "waddleai", null], title: "Provider" },
    blocked: { type: "array", items: { type: "string" }, title: "Blocked channels" },
  },
  required: ["live_template"],
  additionalProperties: false,
};

function mod(overrides: Partial<Module> = {}): Module {
  return {
    name: "memories", description: "Quotes, bookmarks, reminders", version: "0.1.0", kind: "builtin", installed: true, enabled: true,
    settings: {}, settings_schema: {}, commands: ["quote"], conflicts_with: [], exclusive_with: [], updated_at: null, ...overrides,
  };
}

function backend(initial: Module[]) {
  const modules = initial.map((m) => ({ ...m }));
  const puts: [string, ModuleChange][] = [];
  const deletes: string[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/modules", () => ({ items: modules.map((m) => ({ ...m })), next_cursor: null })),
    on("put", "/portal/api/v1/communities/{community_id}/modules/{key}", ({ params, body }) => {
      puts.push([params.key!, body]);
      const m = modules.find((x) => x.name === params.key)!;
      Object.assign(m, { installed: true, enabled: body.enabled ?? true, settings: { ...m.settings, ...(body.settings ?? {}) } });
      return { community_id: Number(params.community_id), module: m.name, enabled: m.enabled, settings: m.settings, disabled: [] };
    }),
    on("delete", "/portal/api/v1/communities/{community_id}/modules/{key}", ({ params }) => {
      deletes.push(params.key!);
      Object.assign(modules.find((x) => x.name === params.key)!, { installed: false, enabled: false });
      return new Response(null, { status: 204 });
    }),
  );
  return { puts, deletes };
}

const shoutout = () =>
  mod({
    name: "shoutout", description: "Shoutouts", installed: false, enabled: false, commands: ["so"], settings_schema: SHOUTOUT_SCHEMA,
    settings: { live_template: "Go see $(user)", auto_raid: true, cooldown: 3600, provider: null, blocked: ["spam"] },
  });

test("install a catalogue module, switch it off and on, uninstall it", async () => {
  const { puts, deletes } = backend([mod(), shoutout()]);
  renderApp("/c/1/modules");
  const user = userEvent.setup();
  const card = (await screen.findByRole("heading", { name: "shoutout" })).closest("li")!;
  expect(within(card).getByText("Not installed")).toBeInTheDocument();
  await user.click(within(card).getByRole("button", { name: "Install shoutout" }));
  await waitFor(() => expect(puts).toEqual([["shoutout", { enabled: true }]]));
  const enabled = await within(card).findByRole("checkbox", { name: "Enabled shoutout" });
  expect(enabled).toBeChecked();
  await user.click(enabled);
  await waitFor(() => expect(puts.at(-1)).toEqual(["shoutout", { enabled: false }]));
  await waitFor(() => expect(within(card).getByText("Installed, disabled")).toBeInTheDocument());
  await user.click(within(card).getByRole("button", { name: "Uninstall shoutout" }));
  await waitFor(() => expect(deletes).toEqual(["shoutout"]));
  expect(await within(card).findByRole("button", { name: "Install shoutout" })).toBeInTheDocument();
});

test("the settings form is generated from the schema, keyboard-operable, and saves what changed", async () => {
  const { puts } = backend([{ ...shoutout(), installed: true, enabled: true }]);
  renderApp("/c/1/modules");
  const user = userEvent.setup();
  const toggle = await screen.findByRole("button", { name: "Settings of shoutout" });
  expect(toggle).toHaveAttribute("aria-expanded", "false");
  toggle.focus();
  await user.keyboard("{Enter}");
  expect(toggle).toHaveAttribute("aria-expanded", "true");
  const form = screen.getByRole("form", { name: "Settings for shoutout" });
  const template = within(form).getByLabelText("Message when they are live");
  expect(template).toHaveValue("Go see $(user)");
  expect(template).toHaveAttribute("maxLength", "400");
  expect(template).toHaveAccessibleDescription("Filled in once: $(user), $(url).");
  expect(template).toHaveAttribute("aria-required", "true");
  const cooldown = within(form).getByLabelText("Seconds between shoutouts of one channel");
  expect(cooldown).toHaveAttribute("type", "number");
  expect(cooldown).toHaveAttribute("min", "0");
  expect(within(form).getByLabelText("Shout out raiders")).toBeChecked();
  expect(within(form).getByLabelText("Provider")).toHaveDisplayValue("Default");
  expect(within(form).getByText(/cannot be edited here yet/)).toBeInTheDocument(); // the array: read-only
  expect(within(form).getByText('["spam"]')).toBeInTheDocument();

  await user.clear(cooldown);
  await user.type(cooldown, "0");
  within(form).getByLabelText("Shout out raiders").focus();
  await user.keyboard(" "); // a checkbox by keyboard
  await user.selectOptions(within(form).getByLabelText("Provider"), "waddleai");
  await user.clear(template);
  await user.type(template, "Hi $(user)");
  await user.click(within(form).getByRole("button", { name: "Save settings" }));
  await waitFor(() =>
    expect(puts).toEqual([
      ["shoutout", { enabled: true, settings: { live_template: "Hi $(user)", auto_raid: false, cooldown: 0, provider: "waddleai" } }],
    ]),
  );
  expect(await screen.findByText("Saved the settings of shoutout.")).toBeInTheDocument();
});

test("bad values are refused at their field before sending; the server's 422 lands at its field", async () => {
  const { puts } = backend([{ ...shoutout(), installed: true, enabled: true }]);
  renderApp("/c/1/modules");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Settings of shoutout" }));
  const form = screen.getByRole("form", { name: "Settings for shoutout" });
  const cooldown = within(form).getByLabelText("Seconds between shoutouts of one channel");
  await user.clear(cooldown);
  await user.type(cooldown, "-3");
  await user.clear(within(form).getByLabelText("Message when they are live"));
  await user.click(within(form).getByRole("button", { name: "Save settings" }));
  expect(await within(form).findByText("Enter 0 or more.")).toBeInTheDocument();
  expect(within(form).getByText("This field is required.")).toBeInTheDocument();
  expect(cooldown).toHaveAttribute("aria-invalid", "true");
  expect(puts).toEqual([]);

  server.use(
    on("put", "/portal/api/v1/communities/{community_id}/modules/{key}", () =>
      errorResponse(422, "validation_error", "settings do not match the module's settings schema", [
        { loc: ["body", "settings", "live_template"], msg: "'{0}' does not match the module's rules", type: "json_schema.pattern" },
      ]),
    ),
  );
  await user.clear(cooldown);
  await user.type(cooldown, "5");
  await user.type(within(form).getByLabelText("Message when they are live"), "{{0}");
  await user.click(within(form).getByRole("button", { name: "Save settings" }));
  const template = within(form).getByLabelText("Message when they are live");
  expect(await within(form).findByText("'{0}' does not match the module's rules")).toBeInTheDocument();
  expect(template).toHaveAttribute("aria-invalid", "true");
  expect(template).toHaveAccessibleDescription(/does not match the module's rules/);
});

test("without modules:manage everything is read-only, settings included", async () => {
  backend([mod(), { ...shoutout(), installed: true, enabled: true }, mod({ name: "alias", installed: false, enabled: false })]);
  renderApp("/c/2/modules");
  expect(await screen.findByRole("checkbox", { name: "Enabled memories" })).toBeDisabled();
  expect(screen.queryByRole("button", { name: /^Install/ })).not.toBeInTheDocument();
  expect(screen.queryByRole("button", { name: /^Uninstall/ })).not.toBeInTheDocument();
  await userEvent.setup().click(screen.getByRole("button", { name: "Settings of shoutout" }));
  const form = screen.getByRole("form", { name: "Settings for shoutout" });
  expect(within(form).getByLabelText("Message when they are live")).toBeDisabled();
  expect(within(form).queryByRole("button", { name: "Save settings" })).not.toBeInTheDocument();
});

test("what a module conflicts with is said before enabling it", async () => {
  backend([
    mod({ name: "youtube_music", conflicts_with: ["spotify"], exclusive_with: ["spotify"], installed: false, enabled: false }),
    mod({ name: "echo", conflicts_with: ["memories"], installed: false, enabled: false }),
  ]);
  renderApp("/c/1/modules");
  expect(await screen.findByText("Enabling it turns off spotify (they answer the same commands).")).toBeInTheDocument();
  expect(screen.getByText("Cannot be enabled while memories is enabled (same commands).")).toBeInTheDocument();
});
