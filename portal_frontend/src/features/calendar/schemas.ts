import { z } from "zod";
import type { CalendarEvent, EventCreate, EventUpdate } from "./api";

/** What the event form holds: text as typed (`starts_at` is a `datetime-local` value). */
export type EventFormValues = {
  title: string;
  starts_at: string;
  tz: string;
  max_seats: string;
  weekly: boolean;
  needs_approval: boolean;
  platform: "" | "twitch" | "discord" | "slack";
  server_id: string;
  channel_id: string;
};

const seats = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (text === "") return null;
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1_000_000) {
      ctx.addIssue({ code: "custom", message: "Enter a whole number of seats from 1, or leave empty for no limit." });
      return z.NEVER;
    }
    return Number(text);
  });

export const eventForm = z
  .object({
    title: z.string().trim().min(1, "An event needs a title.").max(200, "Event titles are at most 200 characters."),
    starts_at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, "Pick a date and a time."),
    tz: z.string().trim().max(64),
    max_seats: seats,
    weekly: z.boolean(),
    needs_approval: z.boolean(),
    platform: z.enum(["", "twitch", "discord", "slack"]),
    server_id: z.string().trim().max(200),
    channel_id: z.string().trim().max(200),
  })
  .refine((v) => (v.platform === "") === (v.server_id === "") && (v.platform === "") === (v.channel_id === ""), {
    message: "Give the platform, server and channel together, or none of them.",
    path: ["channel_id"],
  });

export type EventForm = z.output<typeof eventForm>;

/** The form's output as a create body (only what was filled in). */
export function createBody(v: EventForm): EventCreate {
  return {
    title: v.title,
    starts_at: v.starts_at,
    ...(v.tz ? { tz: v.tz } : {}),
    ...(v.max_seats !== null ? { max_seats: v.max_seats } : {}),
    ...(v.weekly ? { rrule: "FREQ=WEEKLY" as const } : {}),
    ...(v.needs_approval ? { needs_approval: true } : {}),
    ...(v.platform ? { platform: v.platform, server_id: v.server_id, channel_id: v.channel_id } : {}),
  };
}

/** Only the fields that changed from `event`'s (seats `null`: no limit; a weekly box unticked: once). */
export function updateBody(v: EventForm, before: EventFormValues): EventUpdate {
  const body: EventUpdate = {};
  if (v.title !== before.title.trim()) body.title = v.title;
  if (v.starts_at !== before.starts_at || (v.tz && v.tz !== before.tz)) body.starts_at = v.starts_at;
  if (v.tz && v.tz !== before.tz) body.tz = v.tz;
  if (String(v.max_seats ?? "") !== before.max_seats) body.max_seats = v.max_seats;
  if (v.weekly !== before.weekly) body.rrule = v.weekly ? "FREQ=WEEKLY" : null;
  return body;
}

/** `iso` as wall-clock time in `tz`, the way a `datetime-local` input shows it. */
export function wallTime(iso: string, tz: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(iso));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

export function toForm(event?: CalendarEvent): EventFormValues {
  return {
    title: event?.title ?? "",
    starts_at: event ? wallTime(event.starts_at, event.tz) : "",
    tz: event?.tz ?? "",
    max_seats: event?.max_seats ? String(event.max_seats) : "",
    weekly: event?.rrule === "FREQ=WEEKLY",
    needs_approval: false,
    platform: "",
    server_id: "",
    channel_id: "",
  };
}
