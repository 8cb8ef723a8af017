import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Page } from "@/components/page";
import { QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";

type AiSettings = components["schemas"]["AiSettings"];
const PROVIDERS = ["waddleai", "ollama", "openai"] as const;

function AiForm({ communityId, initial, canEdit }: { communityId: number; initial: AiSettings; canEdit: boolean }) {
  const [values, setValues] = useState(initial);
  useEffect(() => setValues(initial), [initial]);
  const client = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: (body: AiSettings) => unwrap(api.PUT("/portal/api/v1/communities/{community_id}/ai", { params: { path: { community_id: communityId } }, body })),
    onSuccess: () => toast.show("Saved the AI settings."),
    onError: (error) => toast.show(`Could not save: ${errorMessage(error)}`),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "ai"] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ ...values, model: values.model.trim(), persona: values.persona.trim() });
  };
  return (
    <form className="card form" onSubmit={submit}>
      <fieldset disabled={!canEdit}>
        <div className="field">
          <label htmlFor="ai-provider">Provider</label>
          <select id="ai-provider" value={values.provider} onChange={(e) => setValues({ ...values, provider: e.target.value })}>
            {[...new Set([values.provider, ...PROVIDERS])].map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ai-model">Model</label>
          <input id="ai-model" value={values.model} onChange={(e) => setValues({ ...values, model: e.target.value })} />
        </div>
        <div className="field">
          <label htmlFor="ai-persona">Persona</label>
          <textarea id="ai-persona" rows={5} maxLength={2000} value={values.persona} onChange={(e) => setValues({ ...values, persona: e.target.value })} />
          <span className="hint">How the bot talks: a few sentences. {2000 - values.persona.length} characters left.</span>
        </div>
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
      </fieldset>
    </form>
  );
}

export function AiPage({ communityId }: { communityId: number }) {
  const canEdit = useCan(communityId, "ai:edit");
  const query = useQuery({
    queryKey: ["c", communityId, "ai"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/ai", { params: { path: { community_id: communityId } } })),
  });
  return (
    <Page title="AI settings">
      {!canEdit ? <ReadOnlyNote what="the AI settings" /> : null}
      <p className="note">To try a prompt, use the chat simulator with “!ai your question”.</p>
      <QueryState query={query}>{(d) => <AiForm communityId={communityId} initial={d} canEdit={canEdit} />}</QueryState>
    </Page>
  );
}
