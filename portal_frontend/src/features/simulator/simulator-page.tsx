import { type FormEvent, useRef, useState } from "react";
import { Page } from "@/components/page";
import { RoleSelect } from "@/components/role-select";
import { errorMessage } from "@/lib/api/errors";
import { type Role, asRole, rolesUpTo, useCommunity, useMe } from "@/lib/session";
import { type SimulateOut, useSimulate } from "./api";

type Line = { id: number; who: "you" | "bot" | "system"; text: string };
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
  for (const effect of answer.side_effects) lines.push({ id: next(), who: "system", text: `Side effect: ${effect.type}${effect.text ? ` — ${effect.text}` : ""}` });
  if (answer.pending) lines.push({ id: next(), who: "system", text: "(the command is still running: its answer comes later)" });
  if (lines.length === 0) lines.push({ id: next(), who: "system", text: STATUS_TEXT[answer.status] ?? `(no answer: ${answer.status})` });
  return lines;
}

export function SimulatorPage({ communityId }: { communityId: number }) {
  const me = useMe();
  const community = useCommunity(communityId);
  const simulate = useSimulate(communityId);
  const [username, setUsername] = useState("viewer");
  const [role, setRole] = useState<Role>("everyone");
  const [text, setText] = useState("");
  const [lines, setLines] = useState<Line[]>([]);
  const counter = useRef(0);
  const next = () => ++counter.current;
  const roles = me?.user.admin ? rolesUpTo("admin") : rolesUpTo(asRole(community?.role));

  const send = (event: FormEvent) => {
    event.preventDefault();
    const message = text.trim();
    if (!message) return;
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(username)) {
      setLines((all) => [...all, { id: next(), who: "system", text: "The user name may use letters, digits, “_”, “.” and “-” only." }]);
      return;
    }
    setLines((all) => [...all, { id: next(), who: "you", text: `${username} (${role}): ${message}` }]);
    setText("");
    simulate.mutate(
      { text: message, user: { username, role } },
      {
        onSuccess: (answer) => setLines((all) => [...all, ...answerLines(answer, next)]),
        onError: (error) => setLines((all) => [...all, { id: next(), who: "system", text: `Error: ${errorMessage(error)}` }]),
      },
    );
  };

  return (
    <Page title="Chat simulator">
      <p className="note">
        Lines run through the real router as chat from the web platform, as the user and role you pick (never above your own
        role); side effects such as points, cooldowns and the song queue are real.
      </p>
      <div className="toolbar">
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
