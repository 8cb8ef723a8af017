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

type Simulated = ResponseOf<"/portal/api/v1/communities/{community_id}/simulate", "post">;

/**
 * A test prompt: `!ai <prompt>` through the portal's chat simulator (the real router and AI
 * service, with the saved settings), and the bot's answer shown as text.
 */
function TestPrompt({ communityId }: { communityId: number }) {
  const [prompt, setPrompt] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const ask = useMutation({
    mutationFn: (text: string) =>
      unwrap(
        api.POST("/portal/api/v1/communities/{community_id}/simulate", {
          params: { path: { community_id: communityId } },
          body: { text: `!ai ${text}`, user: { username: "portal-test", role: "moderator" } },
        }),
      ),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const text = prompt.trim();
    if (!text) {
      setProblem("Write a question to ask the AI.");
      return;
    }
    setProblem(null);
    ask.mutate(text);
  };
  const answer = (result: Simulated) => {
    const lines = result.responses.map((r) => r.text).filter((t): t is string => typeof t === "string" && t !== "");
    if (lines.length) return lines.join("\n");
    return result.pending ? "No answer yet: the provider is slow or unreachable (the answer arrives in chat later)." : "The bot did not answer.";
  };
  return (
    <form className="card form" aria-label="Test prompt" onSubmit={submit} noValidate>
      <h2>Test prompt</h2>
      <div className="field">
        <label htmlFor="ai-test-prompt">Prompt</label>
        <textarea
          id="ai-test-prompt"
          rows={2}
          maxLength={1900}
          value={prompt}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "ai-test-prompt-error" : "ai-test-prompt-hint"}
          onChange={(e) => setPrompt(e.target.value)}
        />
        <span id="ai-test-prompt-hint" className="hint">
          Sent as “!ai …” through the chat simulator, with the saved settings.
        </span>
        {problem ? (
          <span id="ai-test-prompt-error" className="error">
            {problem}
          </span>
        ) : null}
      </div>
      <button type="submit" disabled={ask.isPending}>
        {ask.isPending ? "Asking…" : "Try it"}
      </button>
      <output className="answer" aria-live="polite" aria-label="AI answer">
        {ask.isError ? `Could not ask: ${errorMessage(ask.error)}` : ask.data ? answer(ask.data) : null}
      </output>
    </form>
  );
}

export function AiPage({ communityId }: { communityId: number }) {
  const canEdit = useCan(communityId, "ai:manage");
  const canTest = useCan(communityId, "simulator:use");
  const query = useQuery(aiQuery(communityId));
  return (
    <Page title="AI settings">
      {!canEdit ? <ReadOnlyNote what="the AI settings" /> : null}
      <QueryState query={query}>{(settings) => <AiForm key={JSON.stringify(settings)} communityId={communityId} settings={settings} canEdit={canEdit} />}</QueryState>
      {canTest ? <TestPrompt communityId={communityId} /> : null}
    </Page>
  );
}
