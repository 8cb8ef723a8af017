import { useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useCallback, useMemo, useState } from "react";
import { Page } from "@/components/page";
import { RoleSelect } from "@/components/role-select";
import { SearchBox } from "@/components/search-box";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import { cooldownText } from "@/lib/format";
import { ROLES, asRole, useCan } from "@/lib/session";
import { type Command, commandsQuery, usePatchCommand } from "./api";
import { type CommandFormValues, type CommandsSearch, SORTS, commandForm } from "./schemas";

const SORT_LABEL: Record<(typeof SORTS)[number], string> = { path: "Command", module: "Module", role: "Role", cost: "Cost" };

function sortCommands(items: Command[], sort: CommandsSearch["sort"], dir: CommandsSearch["dir"]): Command[] {
  const key = sort ?? "path";
  const sign = dir === "desc" ? -1 : 1;
  const value = (c: Command): string | number => (key === "role" ? ROLES.indexOf(asRole(c.role)) : key === "cost" ? (c.cost ?? 0) : c[key]);
  return [...items].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    return (x < y ? -1 : x > y ? 1 : a.path.localeCompare(b.path)) * sign;
  });
}

function toForm(c: Command): CommandFormValues {
  return {
    role: asRole(c.role),
    user_cooldown: c.user_cooldown === null || c.user_cooldown === undefined ? "" : String(c.user_cooldown),
    global_cooldown: c.global_cooldown === null || c.global_cooldown === undefined ? "" : String(c.global_cooldown),
    cost: String(c.cost ?? 0),
    enabled: c.enabled ?? true,
  };
}

function CommandEditor({ communityId, command, onDone }: { communityId: number; command: Command; onDone: () => void }) {
  const [values, setValues] = useState<CommandFormValues>(() => toForm(command));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const patch = usePatchCommand(communityId);
  const toast = useToast();
  const set = <K extends keyof CommandFormValues>(key: K, value: CommandFormValues[K]) => setValues((v) => ({ ...v, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = commandForm.safeParse(values);
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setErrors({});
    patch.mutate(
      { path: command.path, patch: parsed.data },
      {
        onSuccess: () => {
          toast.show(`Saved !${command.path}.`);
          onDone();
        },
        onError: (error) => {
          const fields = fieldErrors(error);
          if (Object.keys(fields).length) setErrors(fields);
          else toast.show(`Could not save: ${errorMessage(error)}`);
        },
      },
    );
  };
  const field = (key: "user_cooldown" | "global_cooldown" | "cost", label: string, hint: string) => (
    <div className="field">
      <label htmlFor={`cmd-${key}`}>{label}</label>
      <input
        id={`cmd-${key}`}
        inputMode="decimal"
        value={values[key]}
        aria-describedby={`cmd-${key}-hint${errors[key] ? ` cmd-${key}-error` : ""}`}
        aria-invalid={errors[key] ? true : undefined}
        onChange={(e) => set(key, e.target.value)}
      />
      <span id={`cmd-${key}-hint`} className="hint">
        {hint}
      </span>
      {errors[key] ? (
        <span id={`cmd-${key}-error`} className="error">
          {errors[key]}
        </span>
      ) : null}
    </div>
  );
  return (
    <form className="card form editor" aria-label={`Edit !${command.path}`} onSubmit={submit} noValidate>
      <h2>Edit !{command.path}</h2>
      <RoleSelect id="cmd-role" label="Required role" value={values.role} onChange={(role) => set("role", role)} />
      {field("user_cooldown", "User cooldown (seconds)", "Empty: the default. 0: no cooldown.")}
      {field("global_cooldown", "Global cooldown (seconds)", "Empty: the default. 0: no cooldown.")}
      {field("cost", "Cost (points)", "0: free.")}
      <label className="check">
        <input type="checkbox" checked={values.enabled} onChange={(e) => set("enabled", e.target.checked)} /> Enabled
      </label>
      <div className="buttons">
        <button type="submit" className="primary" disabled={patch.isPending}>
          {patch.isPending ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

export function CommandsPage({ communityId, search }: { communityId: number; search: CommandsSearch }) {
  const query = useQuery(commandsQuery(communityId));
  const canEdit = useCan(communityId, "commands:manage");
  const navigate = useNavigate();
  const [editing, setEditing] = useState<string | null>(null);
  const setSearch = useCallback(
    (next: Partial<CommandsSearch>) =>
      void navigate({ to: ".", search: (prev: Record<string, unknown>) => ({ ...prev, ...next }), replace: true }),
    [navigate],
  );
  const setQ = useCallback((q: string) => setSearch({ q: q || undefined }), [setSearch]);
  const q = (search.q ?? "").trim().toLowerCase().replace(/^!/, "");
  const rows = useMemo(
    () => sortCommands((query.data?.items ?? []).filter((c) => !q || c.path.includes(q) || (c.aliases ?? []).some((a) => a.includes(q))), search.sort, search.dir),
    [query.data, q, search.sort, search.dir],
  );
  const current = rows.find((c) => c.path === editing) ?? query.data?.items.find((c) => c.path === editing);

  return (
    <Page title="Commands">
      {!canEdit ? <ReadOnlyNote what="commands" /> : null}
      <div className="toolbar">
        <SearchBox id="commands-search" label="Search commands" value={search.q ?? ""} onChange={setQ} />
        <div className="field">
          <label htmlFor="commands-sort">Sort by</label>
          <select id="commands-sort" value={search.sort ?? "path"} onChange={(e) => setSearch({ sort: e.target.value as CommandsSearch["sort"] })}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABEL[s]}
              </option>
            ))}
          </select>
        </div>
        <button type="button" aria-pressed={search.dir === "desc"} onClick={() => setSearch({ dir: search.dir === "desc" ? "asc" : "desc" })}>
          Descending
        </button>
      </div>
      {current && canEdit ? <CommandEditor key={current.path} communityId={communityId} command={current} onDone={() => setEditing(null)} /> : null}
      <QueryState
        query={query}
        isEmpty={() => rows.length === 0}
        empty={
          <Empty title={q ? `No command matches “${search.q}”.` : "No commands yet."}>
            {q ? "Search looks at command names and aliases." : "Enable a module on the Modules screen to add its commands."}
          </Empty>
        }
      >
        {() => (
          <div className="table-wrap" role="region" aria-label="Commands table" tabIndex={0}>
            <table>
              <caption className="sr-only">Commands, sorted by {SORT_LABEL[search.sort ?? "path"]}</caption>
              <thead>
                <tr>
                  <th scope="col">Command</th>
                  <th scope="col">Module</th>
                  <th scope="col">Role</th>
                  <th scope="col">User cooldown</th>
                  <th scope="col">Global cooldown</th>
                  <th scope="col">Cost</th>
                  <th scope="col">Enabled</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.path}>
                    <th scope="row" data-label="Command">
                      !{c.path}
                      {c.aliases?.length ? <span className="aliases"> ({c.aliases.map((a) => `!${a}`).join(", ")})</span> : null}
                    </th>
                    <td data-label="Module">{c.module}</td>
                    <td data-label="Role">{c.role}</td>
                    <td data-label="User cooldown">{cooldownText(c.user_cooldown)}</td>
                    <td data-label="Global cooldown">{cooldownText(c.global_cooldown)}</td>
                    <td data-label="Cost">{c.cost}</td>
                    <td data-label="Enabled">{c.available === false ? "no (module off)" : c.enabled ? "yes" : "no"}</td>
                    <td>
                      <button type="button" disabled={!canEdit} onClick={() => setEditing(c.path)} aria-label={`Edit !${c.path}`}>
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </Page>
  );
}
