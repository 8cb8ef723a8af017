import type { paths } from "./schema";

/** Types of the generated spec by path and method (quart-schema inlines many models). */
type Method = "get" | "post" | "put" | "patch" | "delete";
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
export type ResponseOf<P extends keyof paths, M extends Method = "get"> =
  Op<P, M> extends { responses: infer R }
    ? R extends { 200: { content: { "application/json": infer B } } }
      ? B
      : R extends { 201: { content: { "application/json": infer B } } }
        ? B
        : never
    : never;
export type BodyOf<P extends keyof paths, M extends Method> = Op<P, M> extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;
export type ItemOf<P extends keyof paths> = ResponseOf<P> extends { items: (infer I)[] } ? I : never;
