/**
 * The `x-d1-bookmark` header (http/d1Session.ts) in the OpenAPI document: a parameter of every
 * /paybc operation and a header of every answer, added to the generated document in one place
 * rather than repeated in each route definition.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { BOOKMARK_HEADER } from "../http/d1Session.ts";

type Document = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

const DESCRIPTION =
  "Read your own writes. Every answer carries the database bookmark of what it read or wrote; send the last one you received back in this header and the answer reflects at least that state (e.g. a query right after a revenue update or a refund). Reads without it may come from a read replica a moment behind. Leave it out, or send it back unchanged: anything else is refused (400).";
const EXAMPLE = "0000011b-00000004-00005006-49a34bb2e4a8eb0c6b3d8e6b49a4dfcc";

export function documentD1Bookmark(document: Document): Document {
  const components = document.components ?? {};
  document.components = {
    ...components,
    parameters: {
      ...components.parameters,
      D1Bookmark: {
        name: BOOKMARK_HEADER,
        in: "header",
        required: false,
        description: DESCRIPTION,
        schema: { type: "string", pattern: "^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$", example: EXAMPLE },
      },
    },
    headers: {
      ...components.headers,
      D1Bookmark: {
        description: "The database bookmark of this answer: send it back in x-d1-bookmark to read at least this state.",
        schema: { type: "string", example: EXAMPLE },
      },
    },
  };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    if (!path.startsWith("/paybc/")) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.parameters = [...(operation.parameters ?? []), { $ref: "#/components/parameters/D1Bookmark" }];
      for (const response of Object.values(operation.responses ?? {})) {
        if ("$ref" in response) continue;
        response.headers = { ...response.headers, [BOOKMARK_HEADER]: { $ref: "#/components/headers/D1Bookmark" } };
      }
    }
  }
  return document;
}
