import type { components } from "@/lib/api/schema";
import type { Me } from "@/lib/session";

/** What a broadcaster gets (the portal's `capabilities(role)`), plus the writes the contract adds. */
export const ALL_CAPS = [
  "commands:view", "commands:manage", "songs:view", "songs:manage", "overlays:view", "overlays:manage", "overlays:reveal", "overlays:test",
  "modules:view", "modules:manage", "aliases:view", "aliases:manage", "ai:view", "ai:manage", "simulator:use", "connections:view", "connections:code",
];

export function me(overrides: Partial<Me> = {}): Me {
  return {
    user: { id: 1, email: "streamer@example.test", display_name: "Streamer", admin: false },
    communities: [
      { id: 1, name: "Penguin Plaza", role: "broadcaster", capabilities: ALL_CAPS, platforms: ["twitch:1001"] },
      { id: 2, name: "Iceberg Lounge", role: "moderator", capabilities: ["commands:view", "songs:view", "aliases:view", "simulator:use"], platforms: [] },
    ],
    ...overrides,
  };
}

export function command(overrides: Partial<components["schemas"]["CommandItem"]> = {}): components["schemas"]["CommandItem"] {
  return {
    path: "quote",
    module: "memories",
    description: "Show a quote",
    usage: "",
    role: "everyone",
    user_cooldown: 30,
    global_cooldown: null,
    cost: 0,
    enabled: true,
    available: true,
    aliases: [],
    cooldown_message: null,
    ...overrides,
  };
}
