import { ResourceList } from "@/components/resource-list";

export function RemindersPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Reminders"
      resource="reminders"
      searchLabel="Search reminders"
      emptyTitle="No reminders are set."
      emptyHint="Set one in chat with !remind <when> <text>."
      columns={[{ key: "text", label: "Reminder" }, { key: "due_at", label: "Due" }, { key: "username", label: "For" }, { key: "platform", label: "Platform" }]}
    />
  );
}
