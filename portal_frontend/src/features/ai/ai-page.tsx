import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { z } from "zod";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";

/** The AI service's settings are named values (`provider`, `model`, `persona`, …), one PUT each. */
const setting = z.object({
  name: z.string(),
  value: z.unknown(),
  description: z.string().optional().catch(undefined),
});
type Setting = z.infer<typeof setting>;
const LABELS: Record<string, string> = { provider: "Provider", model: "Model", persona: "Persona" };
const ORDER = ["provider", "model", "persona"];

function SettingField({ communityId, item, canEdit }: { communityId: number; item: Setting; canEdit: boolean }) {
  const initial = typeof item.value === "string" ? item.value : JSON.stringify(item.value ?? "");
  const [value, setValue] = useState(initial);
  const client = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: () =>
      unwrap(
        api.PUT("/portal/api/v1/communities/{community_id}/ai/{key}", {
          params: { path: { community_id: communityId, key: item.name } },
          body: { value: value.trim() },
        }),
      ),
    onSuccess: () => toast.show(`Saved ${LABELS[item.name] ?? item.name}.`),
    onError: (error) => toast.show(`Could not save: ${errorMessage(error)}`),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "ai"] }),
  });
  const id = `ai-${item.name}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <form className="card form" aria-label={LABELS[item.name] ?? item.name} onSubmit={submit}>
      <fieldset disabled={!canEdit}>
        <div className="field">
          <label htmlFor={id}>{LABELS[item.name] ?? item.name}</label>
          {item.name === "persona" ? (
            <textarea id={id} rows={5} maxLength={2000} value={value} onChange={(e) => setValue(e.target.value)} aria-describedby={`${id}-hint`} />
          ) : (
            <input id={id} value={value} onChange={(e) => setValue(e.target.value)} aria-describedby={`${id}-hint`} />
          )}
          <span id={`${id}-hint`} className="hint">
            {item.description ?? (item.name === "persona" ? "How the bot talks: a few sentences." : "")}
          </span>
        </div>
        <button type="submit" className="primary" disabled={save.isPending || value === initial}>
          Save
        </button>
      </fieldset>
    </form>
  );
}

export function AiPage({ communityId }: { communityId: number }) {
  const canEdit = useCan(communityId, "ai:manage");
  const query = useQuery({
    queryKey: ["c", communityId, "ai"],
    queryFn: async () => {
      const page = await unwrap(api.GET("/portal/api/v1/communities/{community_id}/ai", { params: { path: { community_id: communityId } } }));
      const items = page.items.flatMap((raw) => { const p = setting.safeParse(raw); return p.success ? [p.data] : []; });
      const rank = (n: string) => (ORDER.includes(n) ? ORDER.indexOf(n) : ORDER.length);
      return items.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
    },
  });
  return (
    <Page title="AI settings">
      {!canEdit ? <ReadOnlyNote what="the AI settings" /> : null}
      <p className="note">To try a prompt with these settings, send “!ai your question” in the chat simulator.</p>
      <QueryState query={query} isEmpty={(d) => d.length === 0} empty={<Empty title="No AI settings yet.">Enable the AI module; its provider, model and persona show here.</Empty>}>
        {(d) => d.map((item) => <SettingField key={`${item.name}:${String(item.value)}`} communityId={communityId} item={item} canEdit={canEdit} />)}
      </QueryState>
    </Page>
  );
}
