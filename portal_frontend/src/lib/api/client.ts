import createClient, { type Middleware } from "openapi-fetch";
import { ApiError } from "./errors";
import type { paths } from "./schema";

export const API = "/portal/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The readable `csrf_token` cookie, sent back as `X-CSRF-Token` on unsafe methods (§11). */
export function csrfToken(cookies: string = document.cookie): string | undefined {
  for (const part of cookies.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === "csrf_token") return decodeURIComponent(value.join("="));
  }
  return undefined;
}

type UnauthorizedHandler = () => void;
let onUnauthorized: UnauthorizedHandler = () => {};
/** The app sets this once: clear the cache and go to sign-in with a way back. */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** One refresh at a time: concurrent 401s wait for the same `auth/refresh`. */
let refreshing: Promise<boolean> | null = null;
function refreshSession(): Promise<boolean> {
  refreshing ??= globalThis
    .fetch(`${API}/auth/refresh`, { method: "POST", credentials: "same-origin", headers: csrfHeader() })
    .then((answer) => answer.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function csrfHeader(): Record<string, string> {
  const token = csrfToken();
  return token ? { "X-CSRF-Token": token } : {};
}

const copies = new WeakMap<Request, Request>();

const middleware: Middleware = {
  onRequest({ request }) {
    if (UNSAFE.has(request.method)) {
      const token = csrfToken();
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    copies.set(request, request.clone()); // for one retry after a refresh
    return request;
  },
  async onResponse({ request, response }) {
    // A wrong password at sign-in is a 401 too; only an expired session sends you to sign-in.
    if (response.status !== 401 || new URL(request.url).pathname.startsWith(`${API}/auth/`)) return response;
    // The access token lives minutes; the refresh cookie gets a new one. Then retry once.
    const copy = copies.get(request);
    if (copy && (await refreshSession())) {
      const token = csrfToken();
      if (token && UNSAFE.has(copy.method)) copy.headers.set("X-CSRF-Token", token);
      const again = await globalThis.fetch(copy);
      if (again.status !== 401) return again;
    }
    onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  // Read fetch at call time, so test doubles (MSW) installed after import are used.
  fetch: (request: Request) => globalThis.fetch(request),
});
api.use(middleware);

/** openapi-fetch answers {data} or {error}: turn the second into a thrown ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok) throw new ApiError(response.status, error);
  return data as T;
}
