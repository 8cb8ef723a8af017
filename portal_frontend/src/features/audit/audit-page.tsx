import { ResourceList } from "@/components/resource-list";

export function AuditPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Audit log"
      resource="audit"
      searchLabel="Filter by who"
      searchParam="actor"
      emptyTitle="Nothing recorded yet."
      emptyHint="Every change made in the portal or by a moderator command is recorded here: who, what, before and after."
      columns={[{ key: "created_at", label: "When" }, { key: "actor", label: "Who" }, { key: "action", label: "What" }, { key: "resource", label: "On" }, { key: "resource_id", label: "Which" }, { key: "before", label: "Before" }, { key: "after", label: "After" }]}
    />
  );
}
