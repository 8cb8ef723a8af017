import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { z } from "zod";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { api, unwrap } from "@/lib/api/client";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";

/** browser_source's overlay rows: the list's `url` is masked; `reveal` answers the real ones. */
const overlay = z.object({ kind: z.string(), url: z.string(), preview_url: z.string().optional().catch(undefined) });
type Overlay = z.infer<typeof overlay>;
const parseAll = (items: unknown[]): Overlay[] => items.flatMap((raw) => { const p = overlay.safeParse(raw); return p.success ? [p.data] : []; });

function useOverlayActions(communityId: number) {
  const client = useQueryClient();
  const path = { params: { path: { community_id: communityId } } };
  const reveal = useMutation({
    mutationFn: async () => parseAll((await unwrap(api.POST("/portal/api/v1/communities/{community_id}/overlays/reveal", path))).items),
  });
  const rotate = useMutation({
    mutationFn: async () => parseAll((await unwrap(api.POST("/portal/api/v1/communities/{community_id}/overlays/rotate", path))).items),
    onSettled: () => client.invalidateQueries({ queryKey: ["c", communityId, "overlays"] }),
  });
  const test = useMutation({
    mutationFn: () => unwrap(api.POST("/portal/api/v1/communities/{community_id}/overlays/test", path)),
  });
  return { reveal, rotate, test };
}

/** The preview frames the overlay page through the portal's own origin (decision 0083): the
 * overlay's CSP allows only `frame-ancestors 'self'`, and the portal's only `frame-src 'self'`. */
export function sameOrigin(url: string): string {
  const parsed = new URL(url, window.location.origin);
  return `${parsed.pathname}${parsed.search}`;
}

type Revealed = { url: string; preview_url?: string | undefined };

/** The overlay as OBS draws it (a 1280×720 stage), scaled down to the card's width. */
const STAGE = { width: 1280, height: 720 };
function ScaledFrame({ title, src }: { title: string; src: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [scale, setScale] = useState(0.25);
  useEffect(() => {
    const node = box.current;
    if (!node || typeof ResizeObserver === "undefined") return;
    const fit = () => setScale(node.clientWidth / STAGE.width || 0.25);
    fit();
    const watch = new ResizeObserver(fit);
    watch.observe(node);
    return () => watch.disconnect();
  }, []);
  return (
    <div ref={box} className="preview">
      <iframe
        title={title}
        src={src}
        sandbox="allow-scripts allow-same-origin"
        width={STAGE.width}
        height={STAGE.height}
        style={{ transform: `scale(${scale})` }}
      />
    </div>
  );
}

function OverlayCard({ communityId, item, revealed, onReveal }: { communityId: number; item: Overlay; revealed: Revealed | undefined; onReveal: () => Promise<Revealed | undefined> }) {
  const [shown, setShown] = useState(false);
  const [preview, setPreview] = useState<string | null>(null);
  const canReveal = useCan(communityId, "overlays:reveal");
  const canTest = useCan(communityId, "overlays:test");
  const { test } = useOverlayActions(communityId);
  const toast = useToast();
  const copy = async () => {
    try {
      const url = revealed?.url ?? (await onReveal())?.url;
      if (!url) throw new Error("no URL");
      await navigator.clipboard.writeText(url);
      toast.show(`Copied the ${item.kind} URL.`);
    } catch (error) {
      toast.show(`Could not copy: ${errorMessage(error)}. Show the URL and copy it by hand.`);
    }
  };
  const togglePreview = async () => {
    if (preview) return setPreview(null);
    try {
      const found = revealed ?? (await onReveal());
      if (!found?.preview_url) throw new Error("no preview URL");
      setPreview(sameOrigin(found.preview_url));
    } catch (error) {
      toast.show(`Could not open the preview: ${errorMessage(error)}`);
    }
  };
  return (
    <li className={preview ? "card previewing" : "card"}>
      <h2>{item.kind}</h2>
      <div className="field">
        <label htmlFor={`overlay-${item.kind}`}>Browser-source URL</label>
        <input id={`overlay-${item.kind}`} readOnly value={shown && revealed ? revealed.url : item.url} />
      </div>
      <div className="buttons">
        <button
          type="button"
          aria-pressed={shown}
          disabled={!canReveal}
          onClick={async () => {
            if (!shown && !revealed) await onReveal().catch((e: unknown) => toast.show(`Could not show the URL: ${errorMessage(e)}`));
            setShown(!shown);
          }}
        >
          {shown ? "Hide URL" : "Show URL"}
        </button>
        <button type="button" disabled={!canReveal} onClick={() => void copy()}>
          Copy URL
        </button>
        <button type="button" aria-expanded={preview !== null} disabled={!canReveal || !item.preview_url} onClick={() => void togglePreview()}>
          {preview ? "Close preview" : "Preview"}
        </button>
        {item.kind === "alerts" ? (
          <button
            type="button"
            disabled={!canTest || test.isPending}
            onClick={() =>
              test.mutate(undefined, {
                onSuccess: () => toast.show("Test alert sent: it shows in OBS and in the preview."),
                onError: (error) => toast.show(`Could not send a test alert: ${errorMessage(error)}`),
              })
            }
          >
            Send a test alert
          </button>
        ) : null}
      </div>
      {preview ? <ScaledFrame title={`Preview of the ${item.kind} overlay`} src={preview} /> : null}
    </li>
  );
}

export function OverlaysPage({ communityId }: { communityId: number }) {
  const canManage = useCan(communityId, "overlays:manage");
  const toast = useToast();
  const { reveal, rotate } = useOverlayActions(communityId);
  const query = useQuery({
    queryKey: ["c", communityId, "overlays"],
    queryFn: async () => parseAll((await unwrap(api.GET("/portal/api/v1/communities/{community_id}/overlays", { params: { path: { community_id: communityId } } }))).items),
  });
  const urls: Record<string, Revealed> = Object.fromEntries((rotate.data ?? reveal.data ?? []).map((o) => [o.kind, o]));
  const onReveal = (kind: string) => async () => (await reveal.mutateAsync()).find((o) => o.kind === kind);
  return (
    <Page
      title="Overlays"
      actions={
        <button
          type="button"
          disabled={!canManage || rotate.isPending}
          onClick={() => {
            if (window.confirm("Make new overlay URLs? The current ones stop working after a short grace period."))
              rotate.mutate(undefined, {
                onSuccess: () => toast.show("New overlay URLs made. Update the browser sources in your streaming software."),
                onError: (error) => toast.show(`Could not regenerate: ${errorMessage(error)}`),
              });
          }}
        >
          Regenerate URLs
        </button>
      }
    >
      <p className="note">Add these URLs as browser sources in OBS. Each URL is a secret: anyone with it can show your overlay, so it stays hidden until you ask.</p>
      {!canManage ? <ReadOnlyNote what="overlays" /> : null}
      <QueryState query={query} isEmpty={(d) => d.length === 0} empty={<Empty title="No overlays yet.">The browser-source module makes them; once it runs they show here.</Empty>}>
        {(d) => (
          <ul className="cards">
            {d.map((o) => (
              <OverlayCard key={o.kind} communityId={communityId} item={o} revealed={urls[o.kind]} onReveal={onReveal(o.kind)} />
            ))}
          </ul>
        )}
      </QueryState>
    </Page>
  );
}
