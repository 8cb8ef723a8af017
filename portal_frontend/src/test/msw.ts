/**
 * MSW handlers typed from the generated client's `paths`: the path must exist in the spec, and
 * the body a resolver answers must be that operation's 200/201 JSON type, so mocks cannot drift.
 */
import { http, HttpResponse, type JsonBodyType } from "msw";
import type { paths } from "@/lib/api/schema";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Ok<O> = O extends { responses: infer R }
  ? R extends { 200: { content: { "application/json": infer B } } }
    ? B
    : R extends { 201: { content: { "application/json": infer B } } }
      ? B
      : never
  : never;
type Body<O> = O extends { requestBody: { content: { "application/json": infer B } } } ? B : undefined;

export type Call<P extends keyof paths, M extends Method> = {
  params: Record<string, string>;
  body: Body<Op<P, M>>;
  url: URL;
  request: Request;
};

const toMsw = (path: string) => `*${path.replace(/\{([^}]+)\}/g, ":$1")}`;

export function on<P extends keyof paths, M extends Method>(
  method: M,
  path: P,
  resolve: (call: Call<P, M>) => Ok<Op<P, M>> | Response | Promise<Ok<Op<P, M>> | Response>,
) {
  return http[method](toMsw(path as string), async ({ request, params }) => {
    const text = method === "get" ? "" : await request.clone().text();
    const body = (text ? JSON.parse(text) : undefined) as Body<Op<P, M>>;
    const answer = await resolve({ params: params as Record<string, string>, body, url: new URL(request.url), request });
    return answer instanceof Response ? answer : HttpResponse.json(answer as JsonBodyType);
  });
}

export function errorResponse(status: number, code: string, message: string, details: unknown = null): Response {
  return HttpResponse.json({ error: { code, message, details, request_id: "test" } }, { status });
}
