import { type FormEvent, useRef, useState } from "react";
import { Page } from "@/components/page";
import { RoleSelect } from "@/components/role-select";
import { errorMessage } from "@/lib/api/errors";
import { type Role, rolesUpTo, useCommunity, useMe } from "@/lib/session";
import { type SimulateOut, useSimulate } from "./api";

type Line = { id: number; who: "you" | "bot" | "system"; text: string };
const PLATFORMS = ["twitch", "discord", "slack"] as const;
const STATUS_TEXT: Record<string, string> = {
  rate_limited: "(no answer: the command is on cooldown)",
  rejected: "(refused)",
  ignored: "(not a command: nothing happened)",
};

function answerLines(answer: SimulateOut, next: () => number): Line[] {
  const lines: Line[] = answer.responses.map((r) => ({
    id: next(),
    who: "bot",
    text: r.type === "chat" || r.type === "dm" || !r.type ? (r.text ?? "") : `[${r.type}] ${r.text ?? ""}`,
  }));
  if (lines.length === 0) lines.push({ id: next(), who: "system", text: STATUS_TEXT[answer.status] ?? `(no answer: ${answer.status})` });
  return lines;
}

export function SimulatorPage({ communityId }: { communityId: number }) {
  const me = useMe();
  const community = useCommunity(communityId);
  const simulate = useSimulate(communityId);
  const [platform, setPlatform] = useState<(typeof PLATFORMS)[number]>("twitch");
  const [username, setUsername] = useState("viewer");
  const [role, setRole] = useState<Role>("everyone");
  const [text, setText] = useState("");
  const [lines, setLines] = useState<Line[]>([]);
  const counter = useRef(0);
  const next = () => ++counter.current;
  const roles = me?.user.is_admin ? rolesUpTo("admin") : rolesUpTo(community?.role ?? "everyone");

  const send = (event: FormEvent) => {
    event.preventDefault();
    const message = text.trim();
    if (!message) return;
    setLines((all) => [...all, { id: next(), who: "you", text: `${username || "viewer"} (${role}): ${message}` }]);
    setText("");
    simulate.mutate(
      { text: message, platform, user: { username: username || "viewer", role } },
      {
        onSuccess: (answer) => setLines((all) => [...all, ...answerLines(answer, next)]),
        onError: (error) => setLines((all) => [...all, { id: next(), who: "system", text: `Error: ${errorMessage(error)}` }]),
      },
    );
  };

  return (
    <Page title="Chat simulator">
      <p className="note">Messages run through the real router as if sent in chat; side effects (points, cooldowns, the song queue) are real.</p>
      <div className="toolbar">
        <div className="field">
          <label htmlFor="sim-platform">Platform</label>
          <select id="sim-platform" value={platform} onChange={(e) => setPlatform(e.target.value as (typeof PLATFORMS)[number])}>
            {PLATFORMS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="sim-user">User name</label>
          <input id="sim-user" value={username} onChange={(e) => setUsername(e.target.value)} maxLength={40} />
        </div>
        <RoleSelect id="sim-role" label="Role" value={role} onChange={setRole} roles={roles} />
      </div>
      <div className="transcript" role="log" aria-label="Transcript" aria-live="polite">
        {lines.length === 0 ? <p className="hint">Nothing sent yet. Try “!commands”.</p> : null}
        {lines.map((line) => (
          <p key={line.id} className={`line line-${line.who}`}>
            <span className="who">{line.who === "you" ? "You" : line.who === "bot" ? "Bot" : "Note"}:</span> {line.text}
          </p>
        ))}
        {simulate.isPending ? <p className="line line-system">Waiting for the bot…</p> : null}
      </div>
      <form className="composer" onSubmit={send}>
        <label htmlFor="sim-message">Message</label>
        <input id="sim-message" value={text} onChange={(e) => setText(e.target.value)} maxLength={500} autoComplete="off" />
        <button type="submit" className="primary" disabled={simulate.isPending || !text.trim()}>
          Send
        </button>
      </form>
    </Page>
  );
}
