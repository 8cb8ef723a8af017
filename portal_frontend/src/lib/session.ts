import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./api/client";
import type { components } from "./api/schema";
import type { ResponseOf } from "./api/types";

export type Me = ResponseOf<"/portal/api/v1/me">;
export type MeCommunity = components["schemas"]["CommunityOut"];
/** The roles of ARCHITECTURE §4 (the simulator's enum), lowest first. */
export type Role = components["schemas"]["SimUser"]["role"] & string;

export const ROLES: readonly Role[] = ["everyone", "regular", "subscriber", "vip", "moderator", "broadcaster", "admin"];

export function asRole(value: string | undefined): Role {
  return (ROLES as readonly string[]).includes(value ?? "") ? (value as Role) : "everyone";
}

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

/**
 * Whether the signed-in user may do `capability` (`<screen>:view` or `<screen>:manage`, from
 * `me`) in this community. Controls only: the server still enforces every write.
 */
export function useCan(communityId: number, capability: string): boolean {
  const community = useCommunity(communityId);
  return community?.capabilities.includes(capability) ?? false;
}

/** Roles up to and including `role` (the simulator never plays a role above your own). */
export function rolesUpTo(role: Role): Role[] {
  return ROLES.slice(0, ROLES.indexOf(role) + 1);
}
