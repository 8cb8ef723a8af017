import { setupServer } from "msw/node";
import { errorResponse, on } from "./msw";

// By default there is no session to refresh: a test that wants one overrides this.
export const server = setupServer(on("post", "/portal/api/v1/auth/refresh", () => errorResponse(401, "unauthorized", "no session to refresh")));
