import { ResourceList } from "@/components/resource-list";

export function LabelsPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Labels"
      resource="labels"
      searchLabel="Search labels"
      emptyTitle="No labels yet."
      emptyHint="Labels group commands, items and members; add one in chat with !label add <name>."
      columns={[{ key: "name", label: "Label" }, { key: "kind", label: "Applies to" }, { key: "count", label: "Used by" }]}
    />
  );
}
