import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./api/client";
import type { components } from "./api/schema";

export type Me = components["schemas"]["Me"];
export type MeCommunity = components["schemas"]["MeCommunity"];
export type Role = components["schemas"]["Role"];

export const ROLES: readonly Role[] = ["everyone", "regular", "subscriber", "vip", "moderator", "broadcaster", "admin"];

export const meQuery = () =>
  queryOptions({
    queryKey: ["me"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/me")),
    staleTime: 60_000,
  });

export function useMe(): Me | undefined {
  return useQuery(meQuery()).data;
}

export function useCommunity(communityId: number): MeCommunity | undefined {
  return useMe()?.communities.find((c) => c.id === communityId);
}

/** Whether the signed-in user may do `capability` in this community (the server still enforces). */
export function useCan(communityId: number, capability: string): boolean {
  const community = useCommunity(communityId);
  return community?.capabilities.includes(capability) ?? false;
}

/** Roles up to and including `role` (the simulator never plays a role above your own). */
export function rolesUpTo(role: Role): Role[] {
  return ROLES.slice(0, ROLES.indexOf(role) + 1);
}
