import type { components } from "@/lib/api/schema";
import type { Me } from "@/lib/session";

export const ALL_CAPS = ["commands:edit", "songs:manage", "overlays:manage", "modules:manage", "aliases:edit", "ai:edit"];

export function me(overrides: Partial<Me> = {}): Me {
  return {
    user: { id: 1, email: "streamer@example.test", is_admin: false },
    communities: [
      { id: 1, name: "Penguin Plaza", role: "broadcaster", capabilities: ALL_CAPS },
      { id: 2, name: "Iceberg Lounge", role: "moderator", capabilities: [] },
    ],
    ...overrides,
  };
}

export function command(overrides: Partial<components["schemas"]["CommandOut"]> = {}): components["schemas"]["CommandOut"] {
  return {
    path: "quote",
    module: "memories",
    description: "Show a quote",
    role: "everyone",
    user_cooldown: 30,
    global_cooldown: null,
    cost: 0,
    enabled: true,
    aliases: [],
    ...overrides,
  };
}
