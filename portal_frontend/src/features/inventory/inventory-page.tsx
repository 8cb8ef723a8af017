import { useState } from "react";
import { Page } from "@/components/page";
import { type Row, RowsTable } from "@/components/resource-list";
import { ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { ApiError, errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { type InventoryItem, useDeleteItem } from "./api";
import { ItemForm } from "./item-form";

function Actions({ communityId, item, onEdit }: { communityId: number; item: InventoryItem; onEdit: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteItem(communityId);
  const toast = useToast();
  const held = remove.error instanceof ApiError && remove.error.code === "item_held" ? remove.error.message : null;
  return (
    <span className="buttons">
      {confirming ? (
        <>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate({ id: item.id }, {
                onSuccess: () => toast.show(`Deleted ${item.name}.`),
                onError: (error) => {
                  if (!(error instanceof ApiError && error.code === "item_held")) toast.show(`Could not delete: ${errorMessage(error)}`);
                },
                onSettled: () => setConfirming(false),
              })
            }
          >
            Really delete {item.name}
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Keep
          </button>
        </>
      ) : (
        <>
          <button type="button" onClick={onEdit}>
            Edit {item.name}
          </button>
          <button type="button" onClick={() => setConfirming(true)}>
            Delete {item.name}
          </button>
        </>
      )}
      {held ? (
        <>
          <span role="alert" className="error">
            {held}
          </span>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() =>
              remove.mutate(
                { id: item.id, force: true },
                {
                  onSuccess: () => toast.show(`Deleted ${item.name}; its loans are closed.`),
                  onError: (error) => toast.show(`Could not delete: ${errorMessage(error)}`),
                },
              )
            }
          >
            Delete {item.name} anyway
          </button>
        </>
      ) : null}
    </span>
  );
}

export function InventoryPage({ communityId }: { communityId: number }) {
  const canManage = useCan(communityId, "inventory:manage");
  const [editing, setEditing] = useState<InventoryItem | "new" | null>(null);
  const columns = [
    { key: "name", label: "Item" },
    { key: "qty", label: "In stock" },
    { key: "description", label: "Description" },
    ...(canManage
      ? [{ key: "actions", label: "Actions", render: (row: Row) => <Actions communityId={communityId} item={row as InventoryItem} onEdit={() => setEditing(row as InventoryItem)} /> }]
      : []),
  ];
  return (
    <Page
      title="Inventory"
      actions={
        canManage && editing === null ? (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            Add an item
          </button>
        ) : null
      }
    >
      {!canManage ? <ReadOnlyNote what="items" /> : null}
      {canManage && editing !== null ? (
        <ItemForm key={editing === "new" ? "new" : editing.id} communityId={communityId} {...(editing === "new" ? {} : { item: editing })} onDone={() => setEditing(null)} />
      ) : null}
      <RowsTable
        communityId={communityId}
        resource="inventory"
        caption="Inventory"
        searchLabel="Search items"
        emptyTitle="The inventory is empty."
        emptyHint="Add an item here, or in chat with !inv add <item> [qty]."
        columns={columns}
      />
    </Page>
  );
}
