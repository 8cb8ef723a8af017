import { ResourceList } from "@/components/resource-list";

export function CalendarPage({ communityId }: { communityId: number }) {
  return (
    <ResourceList
      communityId={communityId}
      title="Calendar"
      resource="calendar"
      searchLabel="Search events"
      emptyTitle="No events on the calendar."
      emptyHint="Schedule one in chat with !event add, or subscribe to the iCalendar feed (!event feed)."
      columns={[{ key: "title", label: "Event" }, { key: "starts_at", label: "Starts" }, { key: "ends_at", label: "Ends" }, { key: "recurrence", label: "Repeats" }]}
    />
  );
}
