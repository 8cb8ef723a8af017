import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

test("edit the persona; an emptied model goes back to the default", async () => {
  const puts: unknown[] = [];
  const settings = {
    community_id: 1, provider: "ollama", model: "llama3", persona: "A cheerful penguin.", system_prompt: null,
    mentions: true, greetings: {}, effective: { provider: "ollama", model: "llama3" },
  };
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/ai", () => settings),
    on("put", "/portal/api/v1/communities/{community_id}/ai", ({ body }) => {
      puts.push(body);
      return settings;
    }),
  );
  renderApp("/c/1/ai");
  const user = userEvent.setup();
  const persona = await screen.findByLabelText("Persona");
  expect(persona).toHaveValue("A cheerful penguin.");
  await user.clear(persona);
  await user.type(persona, "A grumpy walrus.");
  await user.clear(screen.getByLabelText("Model"));
  await user.click(screen.getByRole("button", { name: "Save" }));
  await waitFor(() => expect(puts).toEqual([{ provider: "ollama", model: null, persona: "A grumpy walrus.", mentions: true }]));
});

test("a moderator sees the AI settings read-only", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/ai", () => ({
      community_id: 2, provider: null, model: null, persona: null, system_prompt: null, mentions: false, greetings: {}, effective: {},
    })),
  );
  renderApp("/c/2/ai");
  expect(await screen.findByLabelText("Persona")).toBeDisabled();
  expect(screen.getByRole("button", { name: "Save" })).toBeDisabled();
});

test("a test prompt goes through the simulator as !ai and its answer is shown as text", async () => {
  const sent: unknown[] = [];
  const settings = {
    community_id: 1, provider: "ollama", model: "llama3", persona: null, system_prompt: null,
    mentions: true, greetings: {}, effective: { provider: "ollama", model: "llama3" },
  };
  let answer: string | null = "Penguins <b>waddle</b> to keep warm.";
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/ai", () => settings),
    on("post", "/portal/api/v1/communities/{community_id}/simulate", ({ body }) => {
      sent.push(body);
      const responses = answer ? [{ type: "chat", text: answer }] : [];
      return { status: "processed", responses, side_effects: [], role: "moderator", invocation_id: "i1", pending: !answer };
    }),
  );
  renderApp("/c/1/ai");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Try it" }));
  expect(await screen.findByText("Write a question to ask the AI.")).toBeInTheDocument();
  expect(sent).toEqual([]);
  await user.type(screen.getByLabelText("Prompt"), "why do penguins waddle?");
  await user.click(screen.getByRole("button", { name: "Try it" }));
  const output = await screen.findByRole("status", { name: "AI answer" });
  await waitFor(() => expect(output).toHaveTextContent("Penguins <b>waddle</b> to keep warm."));
  expect(output.querySelector("b")).toBeNull();
  expect(sent).toEqual([{ text: "!ai why do penguins waddle?", user: { username: "portal-test", role: "moderator" } }]);
  answer = null;
  await user.click(screen.getByRole("button", { name: "Try it" }));
  await waitFor(() => expect(output).toHaveTextContent(/No answer yet/));
});
