import { useState } from "react";
import { Page } from "@/components/page";
import { type Row, RowsTable } from "@/components/resource-list";
import { ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { type CalendarEvent, useDeleteEvent } from "./api";
import { EventForm } from "./event-form";
import { wallTime } from "./schemas";

function Actions({ communityId, event, onEdit }: { communityId: number; event: CalendarEvent; onEdit: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteEvent(communityId);
  const toast = useToast();
  if (confirming) {
    return (
      <span className="buttons">
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() =>
            remove.mutate(event.id, {
              onSuccess: () => toast.show(`Deleted ${event.title}.`),
              onError: (error) => toast.show(`Could not delete: ${errorMessage(error)}`),
              onSettled: () => setConfirming(false),
            })
          }
        >
          Really delete {event.title}
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Keep
        </button>
      </span>
    );
  }
  return (
    <span className="buttons">
      <button type="button" onClick={onEdit} disabled={event.status === "cancelled"}>
        Edit {event.title}
      </button>
      <button type="button" onClick={() => setConfirming(true)}>
        Delete {event.title}
      </button>
    </span>
  );
}

export function CalendarPage({ communityId }: { communityId: number }) {
  const canManage = useCan(communityId, "calendar:manage");
  const [editing, setEditing] = useState<CalendarEvent | "new" | null>(null);
  const seats = (row: Row) => {
    const e = row as CalendarEvent;
    return `${e.going}${e.max_seats ? `/${e.max_seats}` : ""} going${e.waiting ? `, ${e.waiting} waiting` : ""}`;
  };
  const columns = [
    { key: "title", label: "Event" },
    { key: "starts_at", label: "Starts", render: (row: Row) => `${wallTime(String(row.starts_at), String(row.tz)).replace("T", " ")} ${String(row.tz)}` },
    { key: "rrule", label: "Repeats", render: (row: Row) => (row.rrule ? "weekly" : "once") },
    { key: "seats", label: "Seats", render: seats },
    { key: "status", label: "Status" },
    ...(canManage
      ? [{ key: "actions", label: "Actions", render: (row: Row) => <Actions communityId={communityId} event={row as CalendarEvent} onEdit={() => setEditing(row as CalendarEvent)} /> }]
      : []),
  ];
  return (
    <Page
      title="Calendar"
      actions={
        canManage && editing === null ? (
          <button type="button" className="primary" onClick={() => setEditing("new")}>
            New event
          </button>
        ) : null
      }
    >
      {!canManage ? <ReadOnlyNote what="events" /> : null}
      {canManage && editing !== null ? (
        <EventForm
          key={editing === "new" ? "new" : editing.id}
          communityId={communityId}
          {...(editing === "new" ? {} : { event: editing })}
          onDone={() => setEditing(null)}
        />
      ) : null}
      <RowsTable
        communityId={communityId}
        resource="calendar"
        caption="Calendar"
        searchLabel="Search events"
        emptyTitle="No events on the calendar."
        emptyHint={'Create one here, or in chat: !event create "Title" 2026-12-05 20:00 --max 10.'}
        columns={columns}
      />
    </Page>
  );
}
