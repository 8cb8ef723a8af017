import { type FormEvent, useState } from "react";
import { Page } from "@/components/page";
import { type Row, RowsTable } from "@/components/resource-list";
import { ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { GRANTABLE, type Member, useRemoveMember, useSetRole } from "./api";

const FOLLOW = "";
const nameOf = (m: Member) => m.username ?? m.platform_user_id;
const isBroadcaster = (m: Member) => m.platform_role === "broadcaster" || m.platform_role === "admin";

/** A member's role here: one of the grantable roles, or follow the platform again. */
function RoleEditor({ communityId, member, onDone }: { communityId: number; member: Member; onDone: () => void }) {
  const [value, setValue] = useState<string>(member.role_override ?? FOLLOW);
  const [problem, setProblem] = useState<string | null>(null);
  const setRole = useSetRole(communityId);
  const toast = useToast();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const role = value === FOLLOW ? null : (value as (typeof GRANTABLE)[number]);
    setRole.mutate(
      { id: member.id, body: { role } },
      {
        onSuccess: (saved) => {
          toast.show(`${nameOf(saved)} is now ${saved.role} here.`);
          onDone();
        },
        onError: (error) => setProblem(fieldErrors(error).role ?? errorMessage(error)),
      },
    );
  };
  return (
    <form className="card form editor" aria-label={`Role of ${nameOf(member)}`} onSubmit={submit} noValidate>
      <h2>Role of {nameOf(member)}</h2>
      <div className="field">
        <label htmlFor="member-role">Role in this community</label>
        <select id="member-role" value={value} aria-describedby="member-role-hint" onChange={(e) => setValue(e.target.value)}>
          <option value={FOLLOW}>Follow the platform ({member.platform_role})</option>
          {GRANTABLE.map((role) => (
            <option key={role} value={role}>
              {role}
            </option>
          ))}
        </select>
        <span id="member-role-hint" className="hint">
          A role set here wins over the platform's (a platform moderator can be held to viewer) until you follow the platform again. The bot uses it from the next
          command.
        </span>
      </div>
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      <div className="buttons">
        <button type="submit" className="primary" disabled={setRole.isPending}>
          {setRole.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function Actions({ communityId, member, onEdit }: { communityId: number; member: Member; onEdit: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useRemoveMember(communityId);
  const toast = useToast();
  const name = nameOf(member);
  if (isBroadcaster(member)) return <span className="hint">The broadcaster's role comes from the platform.</span>;
  if (confirming) {
    return (
      <span className="buttons">
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() =>
            remove.mutate(member.id, {
              onSuccess: () => toast.show(`Removed ${name}.`),
              onError: (error) => toast.show(`Could not remove: ${errorMessage(error)}`),
              onSettled: () => setConfirming(false),
            })
          }
        >
          Really remove {name}
        </button>
        <button type="button" onClick={() => setConfirming(false)}>
          Keep
        </button>
      </span>
    );
  }
  return (
    <span className="buttons">
      <button type="button" onClick={onEdit}>
        Change role of {name}
      </button>
      <button type="button" onClick={() => setConfirming(true)}>
        Remove {name}
      </button>
    </span>
  );
}

export function MembersPage({ communityId }: { communityId: number }) {
  const canManage = useCan(communityId, "members:manage");
  const [editing, setEditing] = useState<Member | null>(null);
  const columns = [
    { key: "username", label: "Member", render: (row: Row) => nameOf(row as Member) },
    { key: "platform", label: "Platform" },
    { key: "role", label: "Role" },
    { key: "platform_role", label: "Platform role" },
    { key: "role_override", label: "Set here", render: (row: Row) => ((row as Member).role_override ? "yes" : "no") },
    { key: "last_seen", label: "Last seen" },
    ...(canManage ? [{ key: "actions", label: "Actions", render: (row: Row) => <Actions communityId={communityId} member={row as Member} onEdit={() => setEditing(row as Member)} /> }] : []),
  ];
  return (
    <Page title="Members and roles">
      {!canManage ? <ReadOnlyNote what="roles" /> : null}
      {canManage && editing ? <RoleEditor key={editing.id} communityId={communityId} member={editing} onDone={() => setEditing(null)} /> : null}
      <RowsTable
        communityId={communityId}
        resource="members"
        caption="Members and roles"
        searchLabel="Search members"
        emptyTitle="No members seen yet."
        emptyHint="Members appear once the bot has seen them (the broadcaster, and anyone who uses !community)."
        columns={columns}
      />
    </Page>
  );
}
