import { infiniteQueryOptions, useInfiniteQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { type ReactNode, useCallback } from "react";
import { api, unwrap } from "@/lib/api/client";
import type { paths } from "@/lib/api/schema";
import { Page } from "./page";
import { SearchBox } from "./search-box";
import { Empty, QueryState } from "./states";

/** A row of any §12 list: the portal pins some item schemas, others are open objects. */
export type Row = Record<string, unknown>;
type RowList = { items: Row[]; next_cursor?: string | null };
/** The §12 list endpoints that answer plain rows: `{items, next_cursor}` with limit, cursor, q. */
export type RowResource = {
  [P in keyof paths]: P extends `/portal/api/v1/communities/{community_id}/${infer R}`
    ? paths[P] extends { get: { responses: { 200: { content: { "application/json": { items: object[]; next_cursor?: string | null } } } } } }
      ? R
      : never
    : never;
}[keyof paths];

export type Column = { key: string; label: string; render?: (row: Row) => ReactNode };
/** The URL search parameter the search box drives (`q` for §12 lists; the audit log filters by `actor`). */
type SearchParam = "q" | "actor";

export const rowsQuery = (communityId: number, resource: RowResource, q: string, param: SearchParam = "q") =>
  infiniteQueryOptions({
    queryKey: ["c", communityId, resource, { [param]: q }],
    queryFn: ({ pageParam }): Promise<RowList> =>
      unwrap(
        api.GET(`/portal/api/v1/communities/{community_id}/${resource}`, {
          params: { path: { community_id: communityId }, query: { limit: 50, ...(q ? { [param]: q } : {}), ...(pageParam ? { cursor: pageParam } : {}) } },
        }),
      ) as Promise<RowList>,
    initialPageParam: "",
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });

function cell(value: unknown): ReactNode {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return <code className="json">{JSON.stringify(value)}</code>;
  return String(value);
}

type ListProps = {
  communityId: number;
  resource: RowResource;
  columns: Column[];
  emptyTitle: string;
  emptyHint: ReactNode;
  searchLabel: string;
  searchParam?: SearchParam;
  /** The URL key of the search (default: the server's parameter); two lists on one screen need two. */
  urlKey?: string;
  rowKey?: (row: Row) => string;
  caption: string;
};

/** A §12 list: search in the URL, a table, "Load more", and the loading, error and empty states. */
export function RowsTable({
  communityId,
  resource,
  columns,
  emptyTitle,
  emptyHint,
  searchLabel,
  searchParam = "q",
  urlKey = searchParam,
  rowKey = (row) => String(row.id ?? row.name ?? row.number ?? JSON.stringify(row)),
  caption,
}: ListProps) {
  const search = useSearch({ strict: false }) as Partial<Record<string, string>>;
  const q = search[urlKey] ?? "";
  const navigate = useNavigate();
  const setQ = useCallback(
    (next: string) =>
      void navigate({ to: ".", search: (prev: Record<string, unknown>) => ({ ...prev, [urlKey]: next || undefined }), replace: true }),
    [navigate, urlKey],
  );
  const query = useInfiniteQuery(rowsQuery(communityId, resource, q, searchParam));
  return (
    <>
      <SearchBox id={`${resource}-search`} label={searchLabel} value={q} onChange={setQ} />
      <QueryState
        query={query}
        isEmpty={(data) => data.pages.every((p) => p.items.length === 0)}
        empty={<Empty title={q ? `Nothing matches “${q}”.` : emptyTitle}>{q ? "Try another search." : emptyHint}</Empty>}
      >
        {(data) => (
          <>
            <div className="table-wrap" role="region" aria-label={`${caption} table`} tabIndex={0}>
              <table>
                <caption className="sr-only">{caption}</caption>
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
                    <tr key={rowKey(row)}>
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
    </>
  );
}

/** One screen over one §12 list. */
export function ResourceList({ title, children, ...list }: Omit<ListProps, "caption"> & { title: string; children?: ReactNode }) {
  return (
    <Page title={title}>
      {children}
      <RowsTable {...list} caption={title} />
    </Page>
  );
}
