import { ResourceList } from "@/components/resource-list";

export function MembersPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Members and roles"
      resource="members"
      searchLabel="Search members"
      emptyTitle="No members yet."
      emptyHint="Grant a portal user a role with waddlebot users grant."
      columns={[{ key: "email", label: "Member" }, { key: "role", label: "Role" }, { key: "granted_at", label: "Since" }]}
    />
  );
}
