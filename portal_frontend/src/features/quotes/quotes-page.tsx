import { ResourceList } from "@/components/resource-list";

export function QuotesPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Quotes"
      resource="quotes"
      searchLabel="Search quotes"
      emptyTitle="No quotes yet."
      emptyHint="Viewers add quotes in chat with !quote add <text>."
      rowKey={(r) => String(r.number)}
      columns={[{ key: "number", label: "#" }, { key: "text", label: "Quote" }, { key: "author", label: "Said by" }, { key: "game", label: "Game" }, { key: "created_at", label: "Added" }]}
    />
  );
}
