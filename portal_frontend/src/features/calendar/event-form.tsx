import { type FormEvent, useState } from "react";
import { FieldNotes } from "@/components/field-notes";
import { useToast } from "@/components/toast";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import { type CalendarEvent, useCreateEvent, useUpdateEvent } from "./api";
import { type EventFormValues, createBody, eventForm, toForm, updateBody } from "./schemas";

type TextKey = "title" | "starts_at" | "tz" | "max_seats" | "server_id" | "channel_id";

/** Create (no `event`) or edit an event; the server's 422 details land on their fields. */
export function EventForm({ communityId, event, onDone }: { communityId: number; event?: CalendarEvent; onDone: () => void }) {
  const initial = toForm(event);
  const [values, setValues] = useState<EventFormValues>(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const create = useCreateEvent(communityId);
  const update = useUpdateEvent(communityId);
  const toast = useToast();
  const pending = create.isPending || update.isPending;
  const name = event ? `Edit ${event.title}` : "New event";
  const set = <K extends keyof EventFormValues>(key: K, value: EventFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));

  const failed = (error: unknown) => {
    const fields = fieldErrors(error);
    if (Object.keys(fields).length) setErrors(fields);
    else setProblem(errorMessage(error));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = eventForm.safeParse(values);
    setProblem(null);
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setErrors({});
    const done = (text: string) => {
      toast.show(text);
      onDone();
    };
    if (event) {
      update.mutate({ id: event.id, body: updateBody(parsed.data, initial) }, { onSuccess: (saved) => done(`Saved ${saved.title}.`), onError: failed });
    } else {
      create.mutate(createBody(parsed.data), { onSuccess: (saved) => done(`Created ${saved.title} (#${saved.id}).`), onError: failed });
    }
  };
  const field = (key: TextKey, label: string, hint?: string, type = "text") => {
    const id = `event-${key}`;
    const described = [hint ? `${id}-hint` : "", errors[key] ? `${id}-error` : ""].filter(Boolean).join(" ");
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        <input
          id={id}
          type={type}
          value={values[key]}
          aria-describedby={described || undefined}
          aria-invalid={errors[key] ? true : undefined}
          onChange={(e) => set(key, e.target.value)}
        />
        <FieldNotes id={id} hint={hint} error={errors[key]} />
      </div>
    );
  };
  return (
    <form className="card form editor" aria-label={name} onSubmit={submit} noValidate>
      <h2>{name}</h2>
      {field("title", "Title")}
      {field("starts_at", "Starts", "Wall-clock time in the event's time zone.", "datetime-local")}
      {field("tz", "Time zone", "An IANA name such as Europe/Berlin. Empty: the community's zone.")}
      {field("max_seats", "Seats", "Empty: no limit. More seats move the waitlist up; fewer than are taken is refused.")}
      <label className="check">
        <input type="checkbox" checked={values.weekly} onChange={(e) => set("weekly", e.target.checked)} /> Repeats every week
      </label>
      {event ? null : (
        <>
          <label className="check">
            <input type="checkbox" checked={values.needs_approval} onChange={(e) => set("needs_approval", e.target.checked)} /> Needs a moderator's
            approval
          </label>
          <fieldset>
            <legend>Chat for reminders</legend>
            <div className="field">
              <label htmlFor="event-platform">Platform</label>
              <select id="event-platform" value={values.platform} onChange={(e) => set("platform", e.target.value as EventFormValues["platform"])}>
                <option value="">Where the latest event posts</option>
                <option value="twitch">Twitch</option>
                <option value="discord">Discord</option>
                <option value="slack">Slack</option>
              </select>
            </div>
            {field("server_id", "Server id")}
            {field("channel_id", "Channel id")}
          </fieldset>
        </>
      )}
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      <div className="buttons">
        <button type="submit" className="primary" disabled={pending}>
          {pending ? "Saving…" : event ? "Save" : "Create event"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
