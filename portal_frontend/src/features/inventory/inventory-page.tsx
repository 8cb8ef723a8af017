import { ResourceList } from "@/components/resource-list";

export function InventoryPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Inventory"
      resource="inventory"
      searchLabel="Search items"
      emptyTitle="No items in the inventory."
      emptyHint="Add items in chat with !inventory add <item>; checkouts and returns show here."
      columns={[{ key: "name", label: "Item" }, { key: "status", label: "Status" }, { key: "holder", label: "Checked out by" }, { key: "due_at", label: "Due back" }]}
    />
  );
}
