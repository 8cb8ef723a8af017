import { z } from "zod";
import type { BodyOf } from "@/lib/api/types";

/** Alias names are written without "!" (the prefix is the platform's business), one word. */
export const aliasForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Enter a name.")
    .refine((v) => !v.startsWith("!"), "Write the name without “!” (e.g. “hi”, not “!hi”).")
    .refine((v) => !/\s/.test(v), "One word, no spaces.")
    .transform((v) => v.toLowerCase()),
  text: z.string().trim().min(1, "Enter what the alias runs, e.g. “!so @streamer”.").max(400),
}) satisfies z.ZodType<BodyOf<"/portal/api/v1/communities/{community_id}/aliases", "post">, unknown>;
