import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState } from "@/components/states";
import { dateText } from "@/lib/format";
import { eventsQuery, statusQuery } from "./api";

const STATE_TEXT: Record<string, string> = {
  connected: "Connected",
  degraded: "Degraded",
  disconnected: "Disconnected",
  not_configured: "Not configured",
};

export function DashboardPage({ communityId }: { communityId: number }) {
  const status = useQuery(statusQuery(communityId));
  const events = useQuery(eventsQuery(communityId));
  const [paused, setPaused] = useState(false);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [frozen, setFrozen] = useState<typeof events.data>(undefined);
  const shown = paused ? frozen : events.data;
  const kinds = [...new Set((events.data?.items ?? []).map((e) => e.kind))].sort();

  return (
    <Page title="Dashboard">
      <section aria-labelledby="bot-status">
        <h2 id="bot-status">Bot status</h2>
        <QueryState
          query={status}
          isEmpty={(d) => d.platforms.length === 0}
          empty={<Empty title="No platform is linked yet.">Add the bot to a Twitch channel, Discord server or Slack workspace, then its status shows here.</Empty>}
        >
          {(data) => (
            <ul className="status-list">
              {data.platforms.map((p) => (
                <li key={`${p.platform}:${p.server_id}`} className={`status status-${p.state}`}>
                  <span className="status-platform">{p.platform}</span>
                  <span className="status-server">{p.server_id}</span>
                  <span className="status-state">{STATE_TEXT[p.state] ?? p.state}</span>
                  {p.detail ? <span className="status-detail">{p.detail}</span> : null}
                </li>
              ))}
            </ul>
          )}
        </QueryState>
      </section>
      <section aria-labelledby="recent-events">
        <h2 id="recent-events">Recent events</h2>
        <div className="toolbar">
          <button
            type="button"
            aria-pressed={paused}
            onClick={() => {
              setFrozen(events.data);
              setPaused(!paused);
            }}
          >
            {paused ? "Resume feed" : "Pause feed"}
          </button>
          {kinds.length > 0 ? (
            <fieldset className="inline">
              <legend>Show</legend>
              {kinds.map((kind) => (
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
                  {kind}
                </label>
              ))}
            </fieldset>
          ) : null}
        </div>
        <QueryState
          query={{ ...events, data: shown }}
          isEmpty={(d) => d.items.length === 0}
          empty={<Empty title="No events yet.">Chat messages, follows and commands appear here as they happen. Try the chat simulator.</Empty>}
        >
          {(data) => (
            <ul className="events" aria-live="polite" aria-relevant="additions">
              {data.items
                .filter((e) => !hidden.has(e.kind))
                .map((e) => (
                  <li key={e.id}>
                    <time dateTime={e.at}>{dateText(e.at)}</time> <span className="badge">{e.platform}</span>{" "}
                    <span className="badge">{e.kind}</span> {e.summary}
                  </li>
                ))}
            </ul>
          )}
        </QueryState>
      </section>
    </Page>
  );
}
