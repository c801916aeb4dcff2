/**
 * What the local CHES fake (chesFake.ts, Node) and the tests inside workerd share: the clients it
 * knows, the shape of a message it accepted, and the URL it is reached at. No Node APIs here: this
 * file is compiled for both.
 */

declare module "vitest" {
  export interface ProvidedContext {
    chesUrl: string;
  }
}

export const FAKE_CHES_CLIENT_PREFIX = "ches-client-";

export function fakeChesSecret(clientId: string): string {
  return `secret-of-${clientId}`;
}

export interface AcceptedEmail {
  from: string;
  to: string[];
  subject: string;
  bodyType: string;
  body: string;
  tag: string | null;
  client: string;
}
