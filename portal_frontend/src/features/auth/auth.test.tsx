import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { HttpResponse } from "msw";
import { errorResponse, on } from "@/test/msw";
import { command, me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";
import { safeRedirect } from "./api";

describe("sign-in", () => {
  test("a 401 sends you to sign-in, and signing in brings you back", async () => {
    let signedIn = false;
    const logins: unknown[] = [];
    server.use(
      on("get", "/portal/api/v1/me", () => (signedIn ? me() : errorResponse(401, "unauthorized", "sign in"))),
      on("post", "/portal/api/v1/auth/login", ({ body, request }) => {
        logins.push({ body, csrf: request.headers.get("X-CSRF-Token") });
        signedIn = true;
        return me();
      }),
      on("get", "/portal/api/v1/communities/{community_id}/commands", () => ({ items: [command()], next_cursor: null })),
    );
    document.cookie = "csrf_token=tok123; path=/";
    const { history } = renderApp("/c/1/commands?q=quo");
    expect(await screen.findByRole("heading", { level: 1, name: "Sign in" })).toBeInTheDocument();
    expect(history.location.pathname).toBe("/login");
    expect(document.title).toBe("Sign in · WaddleBot");
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Email"), "streamer@example.test");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { level: 1, name: "Commands" })).toBeInTheDocument();
    expect(history.location.pathname).toBe("/c/1/commands");
    expect(history.location.search).toContain("q=quo");
    expect(logins).toEqual([{ body: { email: "streamer@example.test", password: "correct horse" }, csrf: "tok123" }]);
  });

  test("a session that expires mid-way goes to sign-in with the way back", async () => {
    let expired = false;
    server.use(
      on("get", "/portal/api/v1/me", () => me()),
      on("get", "/portal/api/v1/communities/{community_id}/commands", () =>
        expired ? errorResponse(401, "unauthorized", "session expired") : { items: [command()], next_cursor: null },
      ),
    );
    const { history } = renderApp("/c/1/commands");
    expect(await screen.findByRole("cell", { name: "memories" })).toBeInTheDocument();
    expired = true;
    await userEvent.setup().selectOptions(screen.getByLabelText("Community"), "2");
    await waitFor(() => expect(history.location.pathname).toBe("/login"));
    expect(new URLSearchParams(history.location.search).get("redirect")).toBe("/c/2/commands");
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
  });

  test("a wrong password says so and stays", async () => {
    server.use(
      on("get", "/portal/api/v1/me", () => errorResponse(401, "unauthorized", "sign in")),
      on("post", "/portal/api/v1/auth/login", () => errorResponse(401, "unauthorized", "bad credentials")),
    );
    const { history } = renderApp("/login");
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Email"), "a@b.test");
    await user.type(screen.getByLabelText("Password"), "nope");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(history.location.pathname).toBe("/login");
  });

  test("OAuth buttons are full-page links that come back to where you were", async () => {
    server.use(on("get", "/portal/api/v1/me", () => HttpResponse.json({}, { status: 401 })));
    renderApp("/login?redirect=%2Fc%2F1%2Fsongs");
    const twitch = await screen.findByRole("link", { name: "Sign in with Twitch" });
    expect(twitch).toHaveAttribute("href", "/portal/api/v1/auth/oauth/twitch/start?next=%2Fc%2F1%2Fsongs");
    expect(screen.getByRole("link", { name: "Sign in with Discord" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in with Slack" })).toBeInTheDocument();
  });

  test("redirects stay on this origin", () => {
    expect(safeRedirect("/c/1/songs?x=1")).toBe("/c/1/songs?x=1");
    expect(safeRedirect("//evil.example/x")).toBe("/");
    expect(safeRedirect("https://evil.example/")).toBe("/");
    expect(safeRedirect("/login?redirect=/login")).toBe("/");
    expect(safeRedirect(undefined)).toBe("/");
  });
});

test("an expired access token is refreshed once and the request retried, without a trip to sign-in", async () => {
  let fresh = false;
  const refreshes: number[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("post", "/portal/api/v1/auth/refresh", () => {
      refreshes.push(1);
      fresh = true;
      return me();
    }),
    on("get", "/portal/api/v1/communities/{community_id}/commands", () =>
      fresh ? { items: [command({ path: "lurk" })], next_cursor: null } : errorResponse(401, "unauthorized", "token expired"),
    ),
  );
  const { history } = renderApp("/c/1/commands");
  expect(await screen.findByRole("rowheader", { name: "!lurk" })).toBeInTheDocument();
  expect(history.location.pathname).toBe("/c/1/commands");
  expect(refreshes).toHaveLength(1);
});
