import "@testing-library/jest-dom/vitest";
import { cleanup, configure } from "@testing-library/react";
import { afterAll, afterEach, beforeAll } from "vitest";
import { server } from "./server";

// CI shares 2 cores: give findBy*/waitFor more than the default 1 s before calling it a failure.
configure({ asyncUtilTimeout: 5000 });
window.scrollTo = () => {}; // jsdom has no layout; the router restores scroll

// Unhandled requests fail the test: every call a screen makes must be one the spec declares.
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  document.cookie = "csrf_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});
afterAll(() => server.close());
