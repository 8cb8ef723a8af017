import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type ReactNode, useCallback } from "react";
import { api, unwrap } from "@/lib/api/client";
import type { components, paths } from "@/lib/api/schema";
import { Page } from "./page";
import { SearchBox } from "./search-box";
import { Empty, QueryState } from "./states";

export type Row = components["schemas"]["Row"];
type RowList = { items: Row[]; next_cursor: string | null };
/** The §12 list endpoints that answer plain rows: `{items, next_cursor}` with limit, cursor, q. */
export type RowResource = {
  [P in keyof paths]: P extends `/portal/api/v1/communities/{community_id}/${infer R}`
    ? paths[P] extends { get: { responses: { 200: { content: { "application/json": { items: object[]; next_cursor: string | null } } } } } }
      ? R
      : never
    : never;
}[keyof paths];

export type Column = { key: string; label: string; render?: (row: Row) => ReactNode };

export const rowsQuery = (communityId: number, resource: RowResource, q: string) =>
  infiniteQueryOptions({
    queryKey: ["c", communityId, resource, { q }],
    queryFn: ({ pageParam }): Promise<RowList> =>
      unwrap(
        api.GET(`/portal/api/v1/communities/{community_id}/${resource}`, {
          params: { path: { community_id: communityId }, query: { limit: 50, ...(q ? { q } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ) as Promise<RowList>,
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

function cell(value: unknown): ReactNode {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** One screen over a §12 list: search in the URL, a table, "Load more", and the three states. */
export function ResourceList({
  communityId,
  title,
  resource,
  columns,
  emptyTitle,
  emptyHint,
  searchLabel,
  children,
}: {
  communityId: number;
  title: string;
  resource: RowResource;
  columns: Column[];
  emptyTitle: string;
  emptyHint: ReactNode;
  searchLabel: string;
  children?: ReactNode;
}) {
  const search = useSearch({ strict: false }) as { q?: string };
  const q = search.q ?? "";
  const navigate = useNavigate();
  const setQ = useCallback(
    (next: string) => void navigate({ to: ".", search: (prev: Record<string, unknown>) => ({ ...prev, q: next || undefined }), replace: true }),
    [navigate],
  );
  const query = useInfiniteQuery(rowsQuery(communityId, resource, q));
  return (
    <Page title={title}>
      {children}
      <SearchBox id={`${resource}-search`} label={searchLabel} value={q} onChange={setQ} />
      <QueryState
        query={query}
        isEmpty={(data) => data.pages.every((p) => p.items.length === 0)}
        empty={<Empty title={q ? `Nothing matches “${q}”.` : emptyTitle}>{q ? "Try another search." : emptyHint}</Empty>}
      >
        {(data) => (
          <>
            <div className="table-wrap">
              <table>
                <caption className="sr-only">{title}</caption>
                <thead>
                  <tr>
                    {columns.map((c) => (
                      <th key={c.key} scope="col">
                        {c.label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {data.pages.flatMap((p) => p.items).map((row) => (
                    <tr key={String(row.id)}>
                      {columns.map((c) => (
                        <td key={c.key} data-label={c.label}>
                          {c.render ? c.render(row) : cell(row[c.key])}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            {query.hasNextPage ? (
              <button type="button" onClick={() => void query.fetchNextPage()} disabled={query.isFetchingNextPage}>
                {query.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            ) : null}
          </>
        )}
      </QueryState>
    </Page>
  );
}
