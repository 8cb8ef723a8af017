import type { ReactNode } from "react";
import { ApiError, errorMessage } from "@/lib/api/errors";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  // The owning service is not installed or not running (Firebot#2308): say so, not "error".
  const unavailable = error instanceof ApiError && error.code === "dependency_unavailable";
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{unavailable ? "This part of WaddleBot is not running here yet." : "Could not load this."}</p>
      <p>{errorMessage(error)}</p>
      {onRetry ? (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}

/** Loading, error and empty states around a query's data, one way everywhere. */
export function QueryState<T>({
  query,
  isEmpty,
  empty,
  children,
}: {
  query: { data: T | undefined; error: unknown; isPending: boolean; refetch: () => unknown };
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.error || query.data === undefined) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

export function ReadOnlyNote({ what }: { what: string }) {
  return <p className="note">Read-only: your role cannot change {what} here (the server checks every change too).</p>;
}
