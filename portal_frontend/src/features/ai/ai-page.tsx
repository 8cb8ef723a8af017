import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Page } from "@/components/page";
import { QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import type { BodyOf, ResponseOf } from "@/lib/api/types";
import { useCan } from "@/lib/session";

type Ai = "/portal/api/v1/communities/{community_id}/ai";
type AiSettings = ResponseOf<Ai>;
type AiPatch = BodyOf<Ai, "put">;
const PROVIDERS = ["waddleai", "ollama"] as const satisfies readonly NonNullable<AiPatch["provider"]>[];

export const aiQuery = (communityId: number) => ({
  queryKey: ["c", communityId, "ai"] as const,
  queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/ai", { params: { path: { community_id: communityId } } })),
});

/** Empty text goes back to the service's default (`null`); the hint shows what that default is. */
const orNull = (text: string): string | null => (text.trim() === "" ? null : text.trim());

function AiForm({ communityId, settings, canEdit }: { communityId: number; settings: AiSettings; canEdit: boolean }) {
  const [provider, setProvider] = useState(settings.provider ?? "");
  const [model, setModel] = useState(settings.model ?? "");
  const [persona, setPersona] = useState(settings.persona ?? "");
  const [mentions, setMentions] = useState(settings.mentions);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const client = useQueryClient();
  const toast = useToast();
  const save = useMutation({
    mutationFn: (body: AiPatch) => unwrap(api.PUT("/portal/api/v1/communities/{community_id}/ai", { params: { path: { community_id: communityId } }, body })),
    onSuccess: () => {
      setErrors({});
      toast.show("Saved the AI settings.");
    },
    onError: (error) => {
      const fields = fieldErrors(error);
      if (Object.keys(fields).length) setErrors(fields);
      else toast.show(`Could not save: ${errorMessage(error)}`);
    },
    onSettled: () => client.invalidateQueries({ queryKey: aiQuery(communityId).queryKey }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({
      provider: (orNull(provider) as AiPatch["provider"]) ?? null,
      model: orNull(model),
      persona: orNull(persona),
      mentions,
    });
  };
  const effective = (key: string) => settings.effective[key];
  const error = (key: string) => (errors[key] ? <span className="error">{errors[key]}</span> : null);
  return (
    <form className="card form" aria-label="AI settings" onSubmit={submit} noValidate>
      <fieldset disabled={!canEdit}>
        <div className="field">
          <label htmlFor="ai-provider">Provider</label>
          <select id="ai-provider" value={provider} onChange={(e) => setProvider(e.target.value)}>
            <option value="">Default{effective("provider") ? ` (${effective("provider")})` : ""}</option>
            {PROVIDERS.map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
          {error("provider")}
        </div>
        <div className="field">
          <label htmlFor="ai-model">Model</label>
          <input id="ai-model" value={model} maxLength={200} placeholder={effective("model") ?? ""} onChange={(e) => setModel(e.target.value)} aria-describedby="ai-model-hint" />
          <span id="ai-model-hint" className="hint">
            Empty: the default{effective("model") ? ` (${effective("model")})` : ""}.
          </span>
          {error("model")}
        </div>
        <div className="field">
          <label htmlFor="ai-persona">Persona</label>
          <textarea id="ai-persona" rows={5} maxLength={2000} value={persona} onChange={(e) => setPersona(e.target.value)} aria-describedby="ai-persona-hint" />
          <span id="ai-persona-hint" className="hint">
            How the bot talks, in a few sentences. {2000 - persona.length} characters left.
          </span>
          {error("persona")}
        </div>
        <label className="check">
          <input type="checkbox" checked={mentions} onChange={(e) => setMentions(e.target.checked)} /> Answer when mentioned in chat
        </label>
        <button type="submit" className="primary" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </button>
      </fieldset>
    </form>
  );
}

export function AiPage({ communityId }: { communityId: number }) {
  const canEdit = useCan(communityId, "ai:manage");
  const query = useQuery(aiQuery(communityId));
  return (
    <Page title="AI settings">
      {!canEdit ? <ReadOnlyNote what="the AI settings" /> : null}
      <p className="note">To try a prompt with these settings, send “!ai your question” in the chat simulator.</p>
      <QueryState query={query}>{(settings) => <AiForm key={JSON.stringify(settings)} communityId={communityId} settings={settings} canEdit={canEdit} />}</QueryState>
    </Page>
  );
}
