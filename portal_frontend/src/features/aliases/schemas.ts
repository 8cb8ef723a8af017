import { z } from "zod";
import type { components } from "@/lib/api/schema";

/** Alias names are written without "!" (the prefix is the platform's business), one word. */
export const aliasForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, "Enter a name.")
    .refine((v) => !v.startsWith("!"), "Write the name without “!” (e.g. “hi”, not “!hi”).")
    .refine((v) => !/\s/.test(v), "One word, no spaces.")
    .transform((v) => v.toLowerCase()),
  target: z
    .string()
    .trim()
    .min(1, "Enter the command it runs.")
    .transform((v) => v.replace(/^!/, "")),
}) satisfies z.ZodType<components["schemas"]["AliasIn"], unknown>;
