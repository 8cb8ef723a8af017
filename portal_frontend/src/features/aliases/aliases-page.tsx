import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ResourceList, type Row } from "@/components/resource-list";
import { ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { aliasForm } from "./schemas";

function AddAlias({ communityId }: { communityId: number }) {
  const [name, setName] = useState("");
  const [text, setText] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const client = useQueryClient();
  const toast = useToast();
  const add = useMutation({
    mutationFn: (body: { name: string; text: string }) =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/aliases", { params: { path: { community_id: communityId } }, body })),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "aliases"] }),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const parsed = aliasForm.safeParse({ name, text });
    if (!parsed.success) {
      setErrors(Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])));
      return;
    }
    setErrors({});
    add.mutate(parsed.data, {
      onSuccess: (alias) => {
        toast.show(`Added !${String(alias.name ?? parsed.data.name)}.`);
        setName("");
        setText("");
      },
      onError: (error) => {
        const fields = fieldErrors(error);
        if (Object.keys(fields).length) setErrors(fields);
        else toast.show(`Could not add the alias: ${errorMessage(error)}`);
      },
    });
  };
  const err = (key: string) =>
    errors[key] ? (
      <span id={`alias-${key}-error`} className="error">
        {errors[key]}
      </span>
    ) : null;
  return (
    <form className="card form inline-form" aria-label="Add an alias" onSubmit={submit} noValidate>
      <div className="field">
        <label htmlFor="alias-name">Alias name</label>
        <input id="alias-name" value={name} aria-invalid={errors.name ? true : undefined} aria-describedby={errors.name ? "alias-name-error" : undefined} onChange={(e) => setName(e.target.value)} />
        {err("name")}
      </div>
      <div className="field">
        <label htmlFor="alias-text">Expands to</label>
        <input id="alias-text" value={text} aria-invalid={errors.text ? true : undefined} aria-describedby={errors.text ? "alias-text-error" : undefined} onChange={(e) => setText(e.target.value)} />
        {err("text")}
      </div>
      <button type="submit" className="primary" disabled={add.isPending}>
        Add alias
      </button>
    </form>
  );
}

function RemoveAlias({ communityId, name }: { communityId: number; name: string }) {
  const [confirming, setConfirming] = useState(false);
  const client = useQueryClient();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: () =>
      unwrap(api.DELETE("/portal/api/v1/communities/{community_id}/aliases/{key}", { params: { path: { community_id: communityId, key: name } } })),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "aliases"] }),
  });
  if (!confirming)
    return (
      <button type="button" onClick={() => setConfirming(true)}>
        Remove !{name}
      </button>
    );
  return (
    <span className="buttons">
      <button
        type="button"
        className="danger"
        disabled={remove.isPending}
        onClick={() =>
          remove.mutate(undefined, {
            onSuccess: () => toast.show(`Removed !${name}.`),
            onError: (error) => toast.show(`Could not remove !${name}: ${errorMessage(error)}`),
            onSettled: () => setConfirming(false),
          })
        }
      >
        Really remove !{name}
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Keep
      </button>
    </span>
  );
}

export function AliasesPage({ communityId }: { communityId: number }) {
  const canEdit = useCan(communityId, "aliases:manage");
  return (
    <ResourceList
      communityId={communityId}
      title="Aliases"
      resource="aliases"
      searchLabel="Search aliases"
      emptyTitle="No aliases yet."
      emptyHint="An alias is another name for a command line: “hi” running “!so @me”."
      rowKey={(r) => String(r.name)}
      columns={[
        { key: "name", label: "Alias", render: (r) => `!${String(r.name)}` },
        { key: "text", label: "Expands to" },
        { key: "role", label: "Role" },
        { key: "uses", label: "Uses" },
        ...(canEdit ? [{ key: "actions", label: "Actions", render: (r: Row) => <RemoveAlias communityId={communityId} name={String(r.name)} /> }] : []),
      ]}
    >
      {canEdit ? <AddAlias communityId={communityId} /> : <ReadOnlyNote what="aliases" />}
    </ResourceList>
  );
}
