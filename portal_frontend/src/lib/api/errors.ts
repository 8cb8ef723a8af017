import type { components } from "./schema";

export type ErrorBody = components["schemas"]["ErrorBody"];

/** An answer outside 2xx, in the one error shape (ARCHITECTURE §3) when the server sent it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, body: unknown) {
    const info = isErrorBody(body) ? body.error : undefined;
    super(info?.message ?? `request failed (${status})`);
    this.name = "ApiError";
    this.status = status;
    this.code = info?.code ?? "unknown";
    this.details = info?.details;
  }
}

function isErrorBody(body: unknown): body is ErrorBody {
  return typeof body === "object" && body !== null && "error" in body && typeof (body as ErrorBody).error === "object";
}

export const isUnauthorized = (error: unknown): boolean => error instanceof ApiError && error.status === 401;

/** pydantic's errors (`details.errors` of a 422 `validation_error`, or a bare list) as {field: message}. */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.code !== "validation_error") return {};
  const details = error.details as { errors?: unknown } | unknown[] | null | undefined;
  const list = Array.isArray(details) ? details : Array.isArray(details?.errors) ? details.errors : [];
  const found: Record<string, string> = {};
  for (const item of list as { loc?: unknown[]; msg?: string }[]) {
    const field = item.loc?.filter((part) => typeof part === "string").at(-1);
    if (typeof field === "string" && item.msg) found[field] = item.msg;
  }
  return found;
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return "You do not have permission to do this.";
    return error.message;
  }
  if (error instanceof TypeError) return "The server could not be reached. Check your connection and retry.";
  return error instanceof Error ? error.message : "Something went wrong.";
}
