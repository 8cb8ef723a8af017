import { z } from "zod";
import type { CommandPatch } from "./api";

/** A cooldown field: empty = the default (null), 0 = explicitly none (twir#954), else seconds. */
const cooldown = z
  .string()
  .trim()
  .transform((text, ctx) => {
    if (text === "") return null;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > 86400) {
      ctx.addIssue({ code: "custom", message: "Enter seconds from 0 to 86400, or leave empty for the default." });
      return z.NEVER;
    }
    return value;
  });

export const commandForm = z.object({
  role: z.enum(["everyone", "regular", "subscriber", "vip", "moderator", "broadcaster", "admin"]),
  user_cooldown: cooldown,
  global_cooldown: cooldown,
  cost: z
    .string()
    .trim()
    .regex(/^\d+$/, "Enter a whole number of points, 0 or more.")
    .transform(Number)
    .pipe(z.number().int().min(0).max(1_000_000, "At most 1,000,000 points.")),
  enabled: z.boolean(),
}) satisfies z.ZodType<CommandPatch, unknown>; // the form's output is a valid request body

export type CommandFormValues = z.input<typeof commandForm>;

export const SORTS = ["path", "module", "role", "cost"] as const;
export const commandsSearch = z.object({
  q: z.string().optional().catch(undefined),
  sort: z.enum(SORTS).optional().catch(undefined),
  dir: z.enum(["asc", "desc"]).optional().catch(undefined),
});
export type CommandsSearch = z.infer<typeof commandsSearch>;
