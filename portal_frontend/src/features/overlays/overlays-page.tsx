import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";

type Overlay = components["schemas"]["Overlay"];

/** The URL with its secret hidden: the key is in the last path segment or a `key`/`token` query value. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url, window.location.origin);
    for (const name of ["key", "token"]) if (parsed.searchParams.has(name)) parsed.searchParams.set(name, "••••••••");
    const parts = parsed.pathname.split("/");
    if (!parsed.search && parts.length > 1) parts[parts.length - 1] = "••••••••";
    parsed.pathname = parts.join("/");
    return decodeURI(parsed.toString());
  } catch {
    return "••••••••";
  }
}

function OverlayCard({ communityId, overlay, canManage }: { communityId: number; overlay: Overlay; canManage: boolean }) {
  const [shown, setShown] = useState(false);
  const [preview, setPreview] = useState(false);
  const toast = useToast();
  const client = useQueryClient();
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/portal/api/v1/communities/{community_id}/overlays/{kind}/rotate", { params: { path: { community_id: communityId, kind: overlay.kind } } })),
    onSuccess: () => toast.show(`New ${overlay.kind} URL made; the old one stops working. Update your streaming software.`),
    onError: (error) => toast.show(`Could not regenerate: ${errorMessage(error)}`),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "overlays"] }),
  });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(overlay.url);
      toast.show("Copied the URL.");
    } catch {
      toast.show("Could not copy: select the URL and copy it by hand.");
      setShown(true);
    }
  };
  const previewUrl = `${overlay.url}${overlay.url.includes("?") ? "&" : "?"}preview=1`;
  return (
    <li className="card">
      <h2>{overlay.kind}</h2>
      <div className="field">
        <label htmlFor={`overlay-${overlay.kind}`}>Browser-source URL</label>
        <input id={`overlay-${overlay.kind}`} readOnly value={shown ? overlay.url : maskUrl(overlay.url)} />
      </div>
      <div className="buttons">
        <button type="button" aria-pressed={shown} onClick={() => setShown(!shown)}>
          {shown ? "Hide URL" : "Show URL"}
        </button>
        <button type="button" onClick={() => void copy()}>
          Copy URL
        </button>
        <button
          type="button"
          disabled={!canManage || rotate.isPending}
          onClick={() => {
            if (window.confirm(`Make a new ${overlay.kind} URL? The current one stops working.`)) rotate.mutate();
          }}
        >
          Regenerate
        </button>
        <button type="button" aria-expanded={preview} onClick={() => setPreview(!preview)}>
          {preview ? "Close preview" : "Preview"}
        </button>
      </div>
      {preview ? <iframe className="preview" title={`Preview of the ${overlay.kind} overlay`} src={previewUrl} sandbox="allow-scripts allow-same-origin" /> : null}
    </li>
  );
}

export function OverlaysPage({ communityId }: { communityId: number }) {
  const canManage = useCan(communityId, "overlays:manage");
  const query = useQuery({
    queryKey: ["c", communityId, "overlays"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/overlays", { params: { path: { community_id: communityId } } })),
  });
  return (
    <Page title="Overlays">
      <p className="note">Add these URLs as browser sources in OBS. Each URL is a secret: anyone with it can show your overlay.</p>
      {!canManage ? <ReadOnlyNote what="overlays" /> : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0} empty={<Empty title="No overlays yet.">The browser-source service makes them; once it runs they show here.</Empty>}>
        {(d) => (
          <ul className="cards">
            {d.items.map((o) => (
              <OverlayCard key={o.kind} communityId={communityId} overlay={o} canManage={canManage} />
            ))}
          </ul>
        )}
      </QueryState>
    </Page>
  );
}
