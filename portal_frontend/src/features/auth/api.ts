import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { BodyOf } from "@/lib/api/types";
import { meQuery } from "@/lib/session";

export type LoginIn = BodyOf<"/portal/api/v1/auth/login", "post">;
export const OAUTH_PROVIDERS = [
  { id: "twitch", label: "Twitch" },
  { id: "discord", label: "Discord" },
  { id: "slack", label: "Slack" },
] as const;

/** A redirect target we accept: a path on this origin (never `//host` or a scheme). */
export function safeRedirect(target: string | undefined): string {
  if (!target) return "/";
  try {
    const url = new URL(target, window.location.origin);
    if (url.origin !== window.location.origin || url.pathname.startsWith("/login")) return "/";
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return "/";
  }
}

export function oauthStart(provider: string, next: string): string {
  return `/portal/api/v1/auth/oauth/${encodeURIComponent(provider)}/start?next=${encodeURIComponent(next)}`;
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginIn) => unwrap(api.POST("/portal/api/v1/auth/login", { body })),
    onSuccess: (me) => client.setQueryData(meQuery().queryKey, me),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/portal/api/v1/auth/logout")),
    onSettled: () => {
      client.removeQueries({ queryKey: ["c"] });
      client.removeQueries({ queryKey: ["me"] });
    },
  });
}
