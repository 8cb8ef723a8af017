import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState } from "@/components/states";
import { errorMessage } from "@/lib/api/errors";
import { dateText } from "@/lib/format";
import type { FeedEvent } from "@/lib/realtime";
import { useCan } from "@/lib/session";
import { communityQuery, useLinkCode, useLiveEvents } from "./api";

function summary(event: FeedEvent): string {
  const d = event.data;
  if (event.kind === "simulation") {
    const answers = Array.isArray(d.responses) ? d.responses.length : 0;
    return `${String(d.username ?? "someone")} (${String(d.role ?? "everyone")}) in the simulator: “${String(d.text ?? "")}” → ${String(d.status ?? "?")}, ${answers} answer${answers === 1 ? "" : "s"}`;
  }
  const what = [d.action, d.resource, d.resource_id].filter((x) => typeof x === "string" || typeof x === "number").join(" ");
  return `${String(d.actor ?? "someone")}: ${what || "a change"}`;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** The bot's answers to a chat line that carry text (chat, error and moderation notices). */
function answers(event: FeedEvent): string[] {
  const found = Array.isArray(event.data.responses) ? (event.data.responses as unknown[]) : [];
  return found.map((r) => (r !== null && typeof r === "object" ? text((r as Record<string, unknown>).text) : "")).filter(Boolean);
}

/**
 * A live chat line (from the router) and the bot's answers. Chat text is untrusted: it is
 * only ever a React text child (the DOM's textContent), never markup.
 */
function ChatLine({ event }: { event: FeedEvent }) {
  const d = event.data;
  const said = answers(event);
  return (
    <>
      <span className="badge">{text(d.platform) || "chat"}</span>{" "}
      <span className="feed-who">{text(d.username) || "someone"}</span>
      {text(d.channel) ? <span className="feed-where"> in {text(d.channel)}</span> : null}:{" "}
      <span className="feed-text">{text(d.text)}</span>{" "}
      {text(d.command) ? <span className="badge">!{text(d.command)}</span> : null} <span className="feed-status">{text(d.status)}</span>
      {said.map((a, i) => (
        <div key={i} className="feed-answer">
          <span className="feed-who">Bot</span>: <span className="feed-text">{a}</span>
        </div>
      ))}
    </>
  );
}

/** The broadcaster links another platform's server: a one-time code its owner types there. */
function LinkPlatform({ communityId }: { communityId: number }) {
  const code = useLinkCode(communityId);
  const minutes = code.data ? Math.max(1, Math.round(code.data.expires_in / 60)) : 0;
  return (
    <div className="card link-platform">
      <button type="button" onClick={() => code.mutate()} disabled={code.isPending}>
        {code.data ? "Get a new link code" : "Link another platform"}
      </button>
      <div role="status" aria-live="polite">
        {code.isError ? (
          <span className="error">Could not get a code: {errorMessage(code.error)}</span>
        ) : code.data ? (
          <p>
            On the Discord server or Slack workspace to add, its owner types <code>{code.data.command}</code> within {minutes}{" "}
            minute{minutes === 1 ? "" : "s"}. The code works once.
          </p>
        ) : null}
      </div>
    </div>
  );
}

const KINDS = [
  ["chat", "Chat"],
  ["simulation", "Simulator"],
  ["change", "Changes"],
] as const;

export function DashboardPage({ communityId }: { communityId: number }) {
  const community = useQuery(communityQuery(communityId));
  const canLink = useCan(communityId, "connections:code");
  const { events, state } = useLiveEvents(communityId);
  const [paused, setPaused] = useState<FeedEvent[] | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const shown = (paused ?? events).filter((e) => !hidden.has(e.kind));

  return (
    <Page title="Dashboard">
      <section aria-labelledby="bot-status">
        <h2 id="bot-status">Bot status</h2>
        <QueryState
          query={community}
          isEmpty={(c) => (c.platforms ?? []).length === 0}
          empty={<Empty title="No platform is linked yet.">Add the bot to a Twitch channel, Discord server or Slack workspace; its first chat message links it here.</Empty>}
        >
          {(c) => (
            <ul className="status-list">
              {(c.platforms ?? []).map((p) => {
                const [platform, ...server] = p.split(":");
                return (
                  <li key={p} className="status status-connected">
                    <span className="status-platform">{platform}</span>
                    <span className="status-server">{server.join(":")}</span>
                    <span className="status-state">Linked</span>
                  </li>
                );
              })}
            </ul>
          )}
        </QueryState>
        {canLink ? <LinkPlatform communityId={communityId} /> : null}
      </section>
      <section aria-labelledby="recent-events">
        <h2 id="recent-events">Recent events</h2>
        <div className="toolbar">
          <span className="badge" role="status">
            {state === "live" ? "Live" : state === "connecting" ? "Connecting…" : "Reconnecting…"}
          </span>
          <button type="button" aria-pressed={paused !== null} onClick={() => setPaused(paused ? null : events)}>
            {paused ? "Resume feed" : "Pause feed"}
          </button>
          <fieldset className="inline">
            <legend>Show</legend>
            {KINDS.map(([kind, label]) => (
              <label key={kind}>
                <input
                  type="checkbox"
                  checked={!hidden.has(kind)}
                  onChange={() => {
                    const next = new Set(hidden);
                    if (next.has(kind)) next.delete(kind);
                    else next.add(kind);
                    setHidden(next);
                  }}
                />{" "}
                {label}
              </label>
            ))}
          </fieldset>
        </div>
        {shown.length === 0 ? (
          <Empty title="No events yet.">Chat lines and the bot's answers, changes made in the portal and lines sent in the chat simulator appear here as they happen.</Empty>
        ) : (
          <ul className="events" aria-live="polite" aria-relevant="additions">
            {shown.map((e) => (
              <li key={e.id}>
                <time dateTime={e.at}>{dateText(e.at)}</time> <span className="badge">{e.kind}</span>{" "}
                {e.kind === "chat" ? <ChatLine event={e} /> : summary(e)}
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}
