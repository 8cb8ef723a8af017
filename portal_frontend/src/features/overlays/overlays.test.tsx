import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

const overlay = (token: string) => ({
  kind: "alerts",
  url: `http://localhost/browser_source/overlay/${token}/alerts`,
  preview_url: `http://localhost/browser_source/overlay/${token}/alerts?preview=1`,
});

function backend() {
  const calls: string[] = [];
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/overlays", () => ({ items: [overlay("••••")], next_cursor: null })),
    on("post", "/portal/api/v1/communities/{community_id}/overlays/reveal", () => {
      calls.push("reveal");
      return { items: [overlay("s3cret")], next_cursor: null, grace_seconds: null };
    }),
    on("post", "/portal/api/v1/communities/{community_id}/overlays/rotate", () => {
      calls.push("rotate");
      return { items: [overlay("n3w")], next_cursor: null, grace_seconds: 300 };
    }),
    on("post", "/portal/api/v1/communities/{community_id}/overlays/test", () => {
      calls.push("test");
      return { published: 1 };
    }),
  );
  return calls;
}

test("URLs stay masked until shown; copy reveals; regenerate asks first", async () => {
  const calls = backend();
  const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
  renderApp("/c/1/overlays");
  const field = await screen.findByLabelText("Browser-source URL");
  expect(field).toHaveValue(overlay("••••").url);
  expect(calls).toEqual([]);
  const user = userEvent.setup(); // installs a clipboard stub
  await user.click(screen.getByRole("button", { name: "Copy URL" }));
  await screen.findByText("Copied the alerts URL.");
  expect(await navigator.clipboard.readText()).toBe(overlay("s3cret").url);
  expect(field).toHaveValue(overlay("••••").url); // copied, still not shown
  await user.click(screen.getByRole("button", { name: "Show URL" }));
  expect(field).toHaveValue(overlay("s3cret").url);
  await user.click(screen.getByRole("button", { name: "Regenerate URLs" }));
  expect(confirm).toHaveBeenCalled();
  expect(calls).toEqual(["reveal"]); // declined: nothing rotated
  confirm.mockReturnValue(true);
  await user.click(screen.getByRole("button", { name: "Regenerate URLs" }));
  await waitFor(() => expect(field).toHaveValue(overlay("n3w").url));
  expect(calls).toEqual(["reveal", "rotate"]);
  confirm.mockRestore();
});

test("the live preview frames the real overlay through the portal's origin; a test alert goes to the server", async () => {
  const calls = backend();
  renderApp("/c/1/overlays");
  const user = userEvent.setup();
  await user.click(await screen.findByRole("button", { name: "Preview" }));
  const frame = await within(document.body).findByTitle("Preview of the alerts overlay");
  // Same origin (the overlay's CSP is frame-ancestors 'self'), with the real token: revealed first.
  expect(frame).toHaveAttribute("src", "/browser_source/overlay/s3cret/alerts?preview=1");
  expect(calls).toEqual(["reveal"]);
  await user.click(screen.getByRole("button", { name: "Send a test alert" }));
  await screen.findByText("Test alert sent: it shows in OBS and in the preview.");
  expect(calls).toEqual(["reveal", "test"]);
  await user.click(screen.getByRole("button", { name: "Close preview" }));
  expect(screen.queryByTitle("Preview of the alerts overlay")).not.toBeInTheDocument();
});

test("without the overlay capabilities, nothing can be revealed, previewed, tested or regenerated", async () => {
  const calls = backend();
  renderApp("/c/2/overlays");
  await screen.findByLabelText("Browser-source URL");
  for (const name of ["Show URL", "Copy URL", "Preview", "Send a test alert", "Regenerate URLs"]) {
    expect(screen.getByRole("button", { name })).toBeDisabled();
  }
  expect(calls).toEqual([]);
});

test("an empty list says what to do", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/overlays", () => ({ items: [], next_cursor: null })),
  );
  renderApp("/c/1/overlays");
  expect(await screen.findByText("No overlays yet.")).toBeInTheDocument();
});
