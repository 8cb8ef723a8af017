import { ResourceList } from "@/components/resource-list";

export function BookmarksPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Bookmarks"
      resource="bookmarks"
      searchLabel="Search bookmarks"
      emptyTitle="No bookmarks yet."
      emptyHint="Save a link in chat with !bookmark <url>."
      columns={[{ key: "title", label: "Title" }, { key: "url", label: "Link" }, { key: "created_by", label: "Saved by" }, { key: "created_at", label: "Saved" }]}
    />
  );
}
