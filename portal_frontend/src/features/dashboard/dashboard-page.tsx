import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState } from "@/components/states";
import { dateText } from "@/lib/format";
import type { FeedEvent } from "@/lib/realtime";
import { communityQuery, useLiveEvents } from "./api";

function summary(event: FeedEvent): string {
  const d = event.data;
  if (event.kind === "simulation") {
    const answers = Array.isArray(d.responses) ? d.responses.length : 0;
    return `${String(d.username ?? "someone")} (${String(d.role ?? "everyone")}) in the simulator: “${String(d.text ?? "")}” → ${String(d.status ?? "?")}, ${answers} answer${answers === 1 ? "" : "s"}`;
  }
  const what = [d.action, d.resource, d.resource_id].filter((x) => typeof x === "string" || typeof x === "number").join(" ");
  return `${String(d.actor ?? "someone")}: ${what || "a change"}`;
}

export function DashboardPage({ communityId }: { communityId: number }) {
  const community = useQuery(communityQuery(communityId));
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
            {(["simulation", "change"] as const).map((kind) => (
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
                {kind === "simulation" ? "Simulator" : "Changes"}
              </label>
            ))}
          </fieldset>
        </div>
        {shown.length === 0 ? (
          <Empty title="No events yet.">Changes made in the portal and lines sent in the chat simulator appear here as they happen.</Empty>
        ) : (
          <ul className="events" aria-live="polite" aria-relevant="additions">
            {shown.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <time dateTime={e.at}>{dateText(e.at)}</time> <span className="badge">{e.kind}</span> {summary(e)}
              </li>
            ))}
          </ul>
        )}
      </section>
    </Page>
  );
}
