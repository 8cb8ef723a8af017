import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { on } from "@/test/msw";
import { me } from "@/test/fixtures";
import { renderApp } from "@/test/render";
import { server } from "@/test/server";

test("URLs stay masked until shown; copy reveals; regenerate asks first", async () => {
  const calls: string[] = [];
  const masked = { kind: "alerts", url: "http://localhost/browser_source/overlay/••••/alerts", preview_url: "/browser_source/overlay/preview/alerts" };
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/overlays", () => ({ items: [masked], next_cursor: null })),
    on("post", "/portal/api/v1/communities/{community_id}/overlays/reveal", () => {
      calls.push("reveal");
      return { items: [{ ...masked, url: "http://localhost/browser_source/overlay/s3cret/alerts" }], next_cursor: null, grace_seconds: null };
    }),
    on("post", "/portal/api/v1/communities/{community_id}/overlays/rotate", () => {
      calls.push("rotate");
      return { items: [{ ...masked, url: "http://localhost/browser_source/overlay/n3w/alerts" }], next_cursor: null, grace_seconds: 300 };
    }),
  );
  const confirm = vi.spyOn(window, "confirm").mockReturnValue(false);
  renderApp("/c/1/overlays");
  const field = await screen.findByLabelText("Browser-source URL");
  expect(field).toHaveValue(masked.url);
  expect(calls).toEqual([]);
  const user = userEvent.setup(); // installs a clipboard stub
  await user.click(screen.getByRole("button", { name: "Copy URL" }));
  await screen.findByText("Copied the alerts URL.");
  expect(await navigator.clipboard.readText()).toBe("http://localhost/browser_source/overlay/s3cret/alerts");
  expect(field).toHaveValue(masked.url); // copied, still not shown
  await user.click(screen.getByRole("button", { name: "Show URL" }));
  expect(field).toHaveValue("http://localhost/browser_source/overlay/s3cret/alerts");
  await user.click(screen.getByRole("button", { name: "Regenerate URLs" }));
  expect(confirm).toHaveBeenCalled();
  expect(calls).toEqual(["reveal"]); // declined: nothing rotated
  confirm.mockReturnValue(true);
  await user.click(screen.getByRole("button", { name: "Regenerate URLs" }));
  await waitFor(() => expect(field).toHaveValue("http://localhost/browser_source/overlay/n3w/alerts"));
  expect(calls).toEqual(["reveal", "rotate"]);
  await user.click(screen.getByRole("button", { name: "Preview" }));
  expect(within(document.body).getByTitle("Preview of the alerts overlay")).toHaveAttribute("src", masked.preview_url);
  confirm.mockRestore();
});

test("without overlays:manage, regenerating is disabled", async () => {
  server.use(
    on("get", "/portal/api/v1/me", () => me()),
    on("get", "/portal/api/v1/communities/{community_id}/overlays", () => ({ items: [], next_cursor: null })),
  );
  renderApp("/c/2/overlays");
  expect(await screen.findByText("No overlays yet.")).toBeInTheDocument();
  expect(screen.getByRole("button", { name: "Regenerate URLs" })).toBeDisabled();
});
